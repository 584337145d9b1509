using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Application.Abstractions;
using WeChat.Application.Contracts;
using WeChat.Application.Outbox;
using WeChat.Application.Replies;
using WeChat.Domain.Inbox;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;
using WeChat.Infrastructure.Operations;
using WeChat.Infrastructure.Protocol;
using WeChat.IntegrationTests.Infrastructure;

namespace WeChat.IntegrationTests.Pipeline;

/// <summary>The operator's endpoints against the real topology.</summary>
[Collection(SharedBroker.Name)]
public sealed class OperationsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_message_in_the_error_queue_is_replayed_and_handled_once()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        using var api = pipeline.InternalApi();
        const string follower = "oErrorQueue0001";
        var push = pipeline.Text(follower, "帮助");
        pipeline.Simulator.Platform.RecordInteraction(pipeline.Account.AppId, push);
        var parsed = InboundMessageParser.Parse(push.ToString());
        var bus = pipeline.Api.Services.GetRequiredService<IBus>();
        var errorQueue = await bus.GetSendEndpoint(new Uri($"queue:{pipeline.Settings["Messaging:InboundQueueName"]}_error"));
        await errorQueue.Send(new InboundMessageReceived(pipeline.Account.AppId, parsed.DeduplicationKey, parsed, push.ToString(), DateTimeOffset.UtcNow));

        var replay = await api.PostAsJsonAsync("/api/ops/error-queue/replay", new { max = 10 });

        Assert.Equal(1, (await replay.Content.ReadFromJsonAsync<JsonObject>())!["count"]!.GetValue<int>());
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the replayed message's reply", pipeline.CallSummary);
        Assert.Equal(DefaultReplyRules.Help, PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo(follower))));
        Assert.Equal(0, (await (await api.PostAsJsonAsync("/api/ops/error-queue/replay", new { max = 10 })).Content.ReadFromJsonAsync<JsonObject>())!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Retention_purges_finished_outbox_rows_and_old_inbox_rows_in_batches_and_never_unfinished_work()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        var old = DateTimeOffset.UtcNow.AddDays(-30);
        var recent = DateTimeOffset.UtcNow.AddDays(-1);
        var rows = new List<(OutboxStatus Status, DateTimeOffset? CompletedAt, bool Purged)>
        {
            (OutboxStatus.Sent, old, true), (OutboxStatus.Sent, old, true), (OutboxStatus.Sent, old, true),
            (OutboxStatus.Failed, old, true), (OutboxStatus.Unconfirmed, old, true),
            (OutboxStatus.Sent, recent, false), (OutboxStatus.Pending, null, false), (OutboxStatus.Sending, null, false),
        };
        var kept = new List<Guid>();
        using (var scope = pipeline.Api.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
            var writer = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
            var ids = rows.Select(_ => writer.Add(pipeline.Account.AppId, OutboxKind.CustomerServiceMessage, "oRetention0001",
                OutboxJson.Serialize<ReplyContent>(new TextReply("kept or purged")), notBefore: DateTimeOffset.UtcNow.AddYears(1))).ToList();
            foreach (var (processedAt, i) in new[] { old, old, old, recent }.Select((at, i) => (at, i)))
            {
                db.InboxEntries.Add(new InboxEntry { AppId = pipeline.Account.AppId, DedupKey = $"msg|retention|{i}", MsgType = "text", FromUserName = "o", ReceivedAt = processedAt, ProcessedAt = processedAt });
            }

            await db.SaveChangesAsync(CancellationToken.None);
            foreach (var (id, row) in ids.Zip(rows))
            {
                await db.OutboxMessages.Where(m => m.Id == id)
                    .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, row.Status).SetProperty(m => m.CompletedAt, row.CompletedAt));
                if (!row.Purged)
                {
                    kept.Add(id);
                }
            }
        }

        var operations = pipeline.Api.Services.GetRequiredService<PlatformOperations>();
        var outboxPurged = await operations.PurgeOutboxAsync(TimeSpan.FromDays(7), CancellationToken.None, batchSize: 2);
        var inboxPurged = await operations.PurgeInboxAsync(TimeSpan.FromDays(7), CancellationToken.None, batchSize: 2);

        Assert.Equal(5, outboxPurged);
        Assert.Equal(3, inboxPurged);
        using var check = pipeline.Api.Services.CreateScope();
        var left = check.ServiceProvider.GetRequiredService<IApplicationDbContext>();
        Assert.Equal(kept.Order(), left.OutboxMessages.AsNoTracking().Select(m => m.Id).AsEnumerable().Order());
        Assert.Equal("msg|retention|3", Assert.Single(left.InboxEntries.AsNoTracking().ToList()).DedupKey);
    }

    [Fact]
    public async Task Failed_sends_are_requeued_old_inbox_rows_purged_and_tokens_shown_without_their_value()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        using var api = pipeline.InternalApi();
        const string follower = "oRequeue0000001";
        pipeline.Simulator.Platform.RecordInteraction(pipeline.Account.AppId, pipeline.Text(follower, "在吗"));
        Guid failedId;
        using (var scope = pipeline.Api.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
            failedId = scope.ServiceProvider.GetRequiredService<OutboxWriter>().Add(pipeline.Account.AppId, OutboxKind.CustomerServiceMessage, follower,
                OutboxJson.Serialize<ReplyContent>(new TextReply("requeued by the operator")), notBefore: DateTimeOffset.UtcNow.AddYears(1));
            var old = DateTimeOffset.UtcNow.AddDays(-30);
            db.InboxEntries.Add(new InboxEntry { AppId = pipeline.Account.AppId, DedupKey = "msg|old|1", MsgType = "text", FromUserName = "old", ReceivedAt = old, ProcessedAt = old });
            await db.SaveChangesAsync(CancellationToken.None);
            await db.OutboxMessages.Where(m => m.Id == failedId).ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, OutboxStatus.Failed).SetProperty(m => m.LastErrorCode, 45015));
        }

        var requeued = await api.PostAsJsonAsync("/api/ops/outbox/requeue", new { status = "failed", appId = pipeline.Account.AppId });
        var purged = await api.PostAsJsonAsync("/api/ops/inbox/purge", new { olderThanDays = 7 });

        Assert.Equal(1, (await requeued.Content.ReadFromJsonAsync<JsonObject>())!["count"]!.GetValue<int>());
        Assert.Equal(1, (await purged.Content.ReadFromJsonAsync<JsonObject>())!["count"]!.GetValue<int>());
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the requeued message sent", pipeline.CallSummary);
        Assert.Equal("requeued by the operator", PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo(follower))));

        var tokens = await api.GetStringAsync("/api/ops/tokens");
        Assert.Contains("\"version\":1", tokens, StringComparison.Ordinal);
        Assert.DoesNotContain("\"value\"", tokens, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/ops/inbox/purge", new { olderThanDays = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/ops/outbox/requeue", new { status = "sent" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await pipeline.Api.CreateClient().GetAsync("/api/ops/tokens")).StatusCode);
    }

    [Fact]
    public async Task Health_and_metrics_endpoints_answer_on_api_and_worker()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        using var client = pipeline.Api.CreateClient();
        await pipeline.SendAsync(pipeline.Text("oMetrics0000001", "帮助"));
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo("oMetrics0000001").Count > 0, Patience, "the reply", pipeline.StateReport);
        // Another system invalidates the token: the refused call shows in the errcode counter (troubleshooting.md).
        pipeline.Simulator.Platform.Tokens.Revoke(pipeline.Account.AppId);
        await pipeline.SendAsync(pipeline.Text("oMetrics0000001", "菜单"));
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo("oMetrics0000001").Count > 1, Patience, "the reply after the revocation", pipeline.StateReport);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var apiMetrics = await client.GetStringAsync("/metrics");
        Assert.Contains("wechat_callbacks_accepted", apiMetrics, StringComparison.Ordinal);
        Assert.Contains("wechat_callback_ack_duration", apiMetrics, StringComparison.Ordinal);
        Assert.Matches("wechat_callback_ack_duration_milliseconds_bucket\\{[^}]*le=\"40\"", apiMetrics); // its own boundaries, fine below 50 ms
        Assert.Matches("wechat_callback_ack_duration_milliseconds_bucket\\{[^}]*le=\"4000\"", apiMetrics); // and up to WeChat's deadline

        using var worker = new HttpClient { BaseAddress = pipeline.Workers[0].Address };
        Assert.Equal(HttpStatusCode.OK, (await worker.GetAsync("/health/ready")).StatusCode);
        var workerMetrics = await worker.GetStringAsync("/metrics");
        Assert.Contains("wechat_handler_duration", workerMetrics, StringComparison.Ordinal);
        Assert.Contains("wechat_outbox_completed", workerMetrics, StringComparison.Ordinal);
        Assert.Contains("wechat_token_refreshes", workerMetrics, StringComparison.Ordinal);
        Assert.Matches("wechat_api_errors_total\\{[^}]*errcode=\"40001\"[^}]*\\} 1", workerMetrics);
    }
}
