using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Application.Abstractions;
using WeChat.Application.Contracts;
using WeChat.Application.Inbound;
using WeChat.Application.Outbox;
using WeChat.Application.Replies;
using WeChat.Domain.Inbox;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;
using WeChat.Infrastructure.Messaging;
using WeChat.Infrastructure.Persistence;
using WeChat.Infrastructure.Protocol;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Platform;

namespace WeChat.IntegrationTests.Pipeline;

/// <summary>
/// Guarantees 1–6 of the design brief against the real topology: the simulator sends callbacks to
/// the API, RabbitMQ carries them to worker processes, replies arrive at the simulator.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class PipelineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_signed_text_message_gets_exactly_one_reply_with_the_right_content()
    {
        await using var pipeline = await PipelineHarness.StartAsync();

        var attempts = await pipeline.SendAsync(pipeline.Text("oPlainFollower01", "帮助"));

        Assert.Equal("success", Assert.Single(attempts).Body);
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo("oPlainFollower01").Count > 0, Patience, "the reply", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        Assert.Equal(DefaultReplyRules.Help, PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo("oPlainFollower01"))));
    }

    [Fact]
    public async Task Callbacks_that_arrive_before_any_worker_are_confirmed_into_the_quorum_queue_the_api_declares()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        var queue = pipeline.Settings["Messaging:InboundQueueName"]!;
        await PipelineHarness.WaitUntilAsync(() => Broker.Queue(queue)?.Type == "quorum", Patience, "the inbound queue declared by the API");
        var followers = new[] { "oEarlyFollower01", "oEarlyFollower02", "oEarlyFollower03" };

        foreach (var follower in followers)
        {
            Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body);
        }

        Assert.Equal(0, PendingInbound(pipeline)); // confirmed by the broker, none stored for relay
        await PipelineHarness.WaitUntilAsync(() => Broker.Queue(queue)?.Messages == followers.Length, Patience, "the callbacks waiting in the queue");
        await pipeline.StartWorkerAsync();
        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "a reply for every follower", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        pipeline.AssertOneReplyEach(followers);
        Assert.Equal("quorum", Broker.Queue(queue)?.Type); // the worker declared the same queue
    }

    [Fact]
    public async Task A_callback_returned_unroutable_because_the_queue_is_gone_is_stored_declared_again_relayed_and_replied()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        var queue = pipeline.Settings["Messaging:InboundQueueName"]!;
        await PipelineHarness.WaitUntilAsync(() => Broker.Queue(queue) is not null, Patience, "the inbound queue declared by the API");
        await Broker.DeleteOnlyQueueAsync(queue);
        const string follower = "oReturnedFollow01";

        Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body);

        Assert.Equal(1, PendingInbound(pipeline)); // the broker returned it: stored, not confirmed and dropped
        await PipelineHarness.WaitUntilAsync(() => PendingInbound(pipeline) == 0, Patience, "the stored callback relayed into the queue declared again", pipeline.StateReport);
        // The broker's message counts lag a little behind.
        await PipelineHarness.WaitUntilAsync(() => Broker.Queue(queue) == ("quorum", 1), Patience, "the relayed callback in the quorum queue");
        await pipeline.StartWorkerAsync();
        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the reply", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        pipeline.AssertOneReplyEach([follower]);
    }

    [Fact]
    public async Task A_safe_mode_message_gets_exactly_one_reply_and_unknown_text_the_default()
    {
        await using var pipeline = await PipelineHarness.StartAsync(mode: CallbackMode.Safe);

        await pipeline.SendAsync(pipeline.Text("oSafeFollower01", "菜单"));
        await pipeline.SendAsync(pipeline.Text("oSafeFollower02", "今天天气怎么样"));
        await pipeline.SendAsync(Push.Subscribe(pipeline.Account.OriginalId, "oSafeFollower03", pipeline.Now));

        await PipelineHarness.WaitUntilAsync(() => pipeline.AllReplies().Count >= 3, Patience, "three replies", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        Assert.Equal(DefaultReplyRules.Menu, PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo("oSafeFollower01"))));
        Assert.Equal(DefaultReplyRules.Unsupported, PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo("oSafeFollower02"))));
        Assert.Equal(DefaultReplyRules.Welcome, PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo("oSafeFollower03"))));
    }

    [Fact]
    public async Task WeChat_retries_and_a_broker_redelivery_of_the_same_message_give_one_reply()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        var push = pipeline.Text("oRetryFollower01", "帮助");

        var attempts = await pipeline.SendAsync(push, deliveries: 3);
        Assert.All(attempts, attempt => Assert.Equal("success", attempt.Body));

        // The same push through the broker once more, as a redelivery would bring it.
        var parsed = InboundMessageParser.Parse(push.ToString());
        var publisher = pipeline.Api.Services.GetRequiredService<IInboundMessagePublisher>();
        Assert.Equal(PublishOutcome.Confirmed, await publisher.PublishAsync(
            new InboundMessageReceived(pipeline.Account.AppId, parsed.DeduplicationKey, parsed, push.ToString(), DateTimeOffset.UtcNow), CancellationToken.None));

        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo("oRetryFollower01").Count > 0, Patience, "the reply", pipeline.StateReport);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Single(pipeline.RepliesTo("oRetryFollower01"));
    }

    [Fact]
    public async Task A_worker_killed_mid_message_loses_nothing_and_duplicates_nothing()
    {
        await using var pipeline = await PipelineHarness.StartAsync(settings: FourConsumerSlots());
        var followers = await HoldRepliesOnEverySlotAsync(pipeline, "oKillFollower");
        pipeline.Workers[0].Kill();
        await pipeline.StartWorkerAsync();
        pipeline.Simulator.Platform.Faults.Release();

        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "a reply for every follower", pipeline.StateReport);
        await Task.Delay(TimeSpan.FromSeconds(10)); // past the outbox lease, when abandoned sends are recovered
        Assert.All(followers, follower => Assert.Single(pipeline.RepliesTo(follower)));
    }

    [Fact]
    public async Task A_worker_stopped_gracefully_finishes_its_messages_in_flight_and_leaves_the_rest_to_the_next_worker()
    {
        await using var pipeline = await PipelineHarness.StartAsync(settings: FourConsumerSlots());
        var followers = await HoldRepliesOnEverySlotAsync(pipeline, "oStopFollower");
        var worker = pipeline.Workers[0];
        var stopped = worker.StopAsync(Patience);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(worker.HasExited, "the worker must wait for the replies it is sending");
        pipeline.Simulator.Platform.Faults.Release();

        Assert.Equal(0, await stopped);
        var repliedByTheStoppedWorker = followers.Count(f => pipeline.RepliesTo(f).Count > 0);
        Assert.True(repliedByTheStoppedWorker >= 4, $"{repliedByTheStoppedWorker} replies before the worker exited" + pipeline.StateReport());
        var unfinished = OutboxRowsIn(pipeline, OutboxStatus.Sending, OutboxStatus.Unconfirmed);
        Assert.True(unfinished.Count == 0, $"{unfinished.Count} rows left Sending or Unconfirmed by the stopped worker" + pipeline.StateReport() + "\n" + pipeline.WorkerOutput());
        // It acknowledged what it finished (nothing for the next worker to redo); the queue holds exactly the rest.
        var queue = pipeline.Settings["Messaging:InboundQueueName"]!;
        await PipelineHarness.WaitUntilAsync(() => Broker.Counts(queue).Unacknowledged == 0, Patience, "the stopped worker's deliveries back in the queue", pipeline.StateReport);
        Assert.Equal(followers.Count - repliedByTheStoppedWorker, Broker.Counts(queue).Ready);

        await pipeline.StartWorkerAsync();
        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "a reply for every follower", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        pipeline.AssertOneReplyEach(followers);
        Assert.Empty(OutboxRowsIn(pipeline, OutboxStatus.Sending, OutboxStatus.Unconfirmed));
    }

    private static Dictionary<string, string?> FourConsumerSlots() => new()
    {
        ["Messaging:ConcurrentMessageLimit"] = "4",
        ["Messaging:PrefetchCount"] = "8",
    };

    /// <summary>
    /// 30 followers write; their replies reach "WeChat" and wait there until released, so the worker is
    /// mid-message on each of its four consumer slots. Returns the followers.
    /// </summary>
    private static async Task<List<string>> HoldRepliesOnEverySlotAsync(PipelineHarness pipeline, string followerPrefix)
    {
        pipeline.Simulator.Platform.Faults.Add(new FaultRule { PathContains = "custom/send", HoldUntilReleased = true });
        var followers = Enumerable.Range(0, 30).Select(i => $"{followerPrefix}{i:D3}").ToList();
        foreach (var follower in followers)
        {
            Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body);
        }

        await PipelineHarness.WaitUntilAsync(() => pipeline.Simulator.Platform.Faults.Held >= 4, Patience, "four replies in flight", pipeline.CallSummary);
        return followers;
    }

    private static List<OutboxMessage> OutboxRowsIn(PipelineHarness pipeline, params OutboxStatus[] statuses)
    {
        using var db = pipeline.Api.Services.GetRequiredService<IDbContextFactory<WeChatDbContext>>().CreateDbContext();
        return db.OutboxMessages.AsNoTracking().Where(m => statuses.Contains(m.Status)).ToList();
    }

    [Fact]
    public async Task A_reply_committed_but_never_sent_before_a_crash_is_sent_once_by_the_next_worker()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 0);
        const string follower = "oCommittedFollower01";
        pipeline.Simulator.Platform.RecordInteraction(pipeline.Account.AppId, pipeline.Text(follower, "帮助"));

        // Exactly what a handler's transaction leaves behind when the process dies right after commit.
        using (var scope = pipeline.Api.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
            scope.ServiceProvider.GetRequiredService<OutboxWriter>().Add(pipeline.Account.AppId, OutboxKind.CustomerServiceMessage, follower,
                OutboxJson.Serialize<ReplyContent>(new TextReply("committed before the crash")));
            await db.SaveChangesAsync(CancellationToken.None);
        }

        await pipeline.StartWorkerAsync();

        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the recovered reply", pipeline.CallSummary);
        await PipelineHarness.SettleAsync();
        Assert.Equal("committed before the crash", PipelineHarness.ContentOf(Assert.Single(pipeline.RepliesTo(follower))));
    }

    [Fact]
    public async Task Broker_stopped_while_callbacks_arrive_nothing_acknowledged_is_lost()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        var followers = Enumerable.Range(0, 12).Select(i => $"oOutageFollower{i:D3}").ToList();
        var accepted = new List<string>();
        try
        {
            await Broker.StopAsync();
            foreach (var follower in followers)
            {
                var attempt = Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助")));
                Assert.True(attempt.StatusCode is 200 or 503, $"answer {attempt.StatusCode}: {attempt.Body}");
                if (attempt.Body == "success")
                {
                    accepted.Add(follower);
                }
            }

            // Still ready (callbacks are acknowledged from the fallback), but no longer healthy.
            Assert.Equal("Degraded", await ReadinessAsync(pipeline));
        }
        finally
        {
            await Broker.StartAsync();
        }

        Assert.NotEmpty(accepted);
        // What was refused with 503, WeChat sends again; now the broker is back.
        foreach (var follower in followers.Except(accepted))
        {
            Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body);
        }

        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), TimeSpan.FromSeconds(120),
            "a reply for every follower after the broker came back");
        await PipelineHarness.SettleAsync();
        Assert.All(followers, follower => Assert.Single(pipeline.RepliesTo(follower)));
        Assert.Equal("Healthy", await ReadinessAsync(pipeline));
    }

    private static async Task<string> ReadinessAsync(PipelineHarness pipeline)
    {
        using var client = pipeline.Api.CreateClient();
        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Publishes_left_unconfirmed_past_their_timeout_do_not_jam_the_broker_channel_and_every_callback_is_replied_once()
    {
        // 50 ms per attempt: under load some sends go overdue, the circuit opens and the callbacks still
        // waiting stop waiting. Cancelling those sends inside RabbitMQ.Client left its channel unable to
        // declare or publish anything again (its #1964), so the stored callbacks were never relayed (this
        // test caught that 1 run in 3 here; BusInboundMessagePublisherTests pins the cause down).
        await using var pipeline = await PipelineHarness.StartAsync(workers: 2, settings: new Dictionary<string, string?> { ["Messaging:PublishAttemptTimeoutMilliseconds"] = "50" });
        var followers = Enumerable.Range(0, 1000).Select(i => $"oOverdueFollower{i:D4}").ToList();

        await Parallel.ForEachAsync(followers, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (follower, _) =>
            Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body));

        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "a reply for every follower", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        Assert.All(followers, follower => Assert.Single(pipeline.RepliesTo(follower)));
    }

    [Fact]
    public async Task Copies_of_a_message_consumed_at_the_same_time_give_one_reply()
    {
        // What a send left going during an outage and the relay's copy of the same callback amount to.
        await using var pipeline = await PipelineHarness.StartAsync();
        var publisher = pipeline.Api.Services.GetRequiredService<BusInboundMessagePublisher>();
        var followers = Enumerable.Range(0, 200).Select(i => $"oCopiedFollower{i:D3}").ToList();
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await Parallel.ForEachAsync(followers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (follower, _) =>
        {
            var push = pipeline.Text(follower, "帮助");
            pipeline.Simulator.Platform.RecordInteraction(pipeline.Account.AppId, push);
            var parsed = InboundMessageParser.Parse(push.ToString());
            var message = new InboundMessageReceived(pipeline.Account.AppId, parsed.DeduplicationKey, parsed, push.ToString(), DateTimeOffset.UtcNow);
            var copies = await Task.WhenAll(publisher.TrySendAsync(message, window.Token), publisher.TrySendAsync(message, window.Token));
            Assert.All(copies, copy => Assert.True(copy.Confirmed));
        });

        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "a reply for every follower", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        pipeline.AssertOneReplyEach(followers);
    }

    [Fact]
    public async Task Callbacks_stored_through_an_outage_are_relayed_in_batches_by_competing_relays_each_published_once()
    {
        const int Parallelism = 8;
        await using var pipeline = await PipelineHarness.StartAsync();
        var followers = Enumerable.Range(0, (PendingInboundRelay.BatchSize * 2) + 50).Select(i => $"oRelayFollower{i:D3}").ToList();
        var leftGoing = 0;
        int Pending()
        {
            using var scope = pipeline.Api.Services.CreateScope();
            return scope.ServiceProvider.GetRequiredService<WeChatDbContext>().PendingInboundMessages.Count();
        }

        try
        {
            await Broker.StopAsync();
            await Parallel.ForEachAsync(followers, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (follower, _) =>
                Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body));
            Assert.Equal(followers.Count, Pending());
            // Sends are never cancelled: those of the first callbacks and one probe's wait for the broker.
            leftGoing = pipeline.Api.Services.GetRequiredService<InFlightSends>().Count;
            Assert.InRange(leftGoing, 0, Parallelism + 1);
        }
        finally
        {
            await Broker.StartAsync();
        }

        // A second relay (another API instance's) drains the same rows as the API's own, at the same time.
        var rival = ActivatorUtilities.CreateInstance<PendingInboundRelay>(pipeline.Api.Services);
        var rivalDone = Task.Run(async () =>
        {
            while (Pending() > 0)
            {
                await rival.RelayAsync(CancellationToken.None);
                await Task.Delay(50);
            }
        });
        await PipelineHarness.WaitUntilAsync(() => Pending() == 0, Patience, "the stored callbacks relayed", pipeline.StateReport);
        await rivalDone.WaitAsync(Patience);

        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "a reply for every follower", pipeline.CallSummary);
        await PipelineHarness.SettleAsync();
        pipeline.AssertOneReplyEach(followers);
        // Each stored callback was relayed once: the only second copies the inbox saw are the sends left going.
        using var worker = new HttpClient { BaseAddress = pipeline.Workers[0].Address };
        var metrics = await worker.GetStringAsync("/metrics");
        Assert.Equal(followers.Count, HandlerCount(metrics, "Handled"));
        Assert.InRange(HandlerCount(metrics, "Duplicate"), 0, leftGoing);
    }

    [Fact]
    public async Task A_stored_callback_that_cannot_be_read_is_parked_and_the_ones_behind_it_are_relayed()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        var followers = new[] { "oBehindParked01", "oBehindParked02" };
        var now = DateTimeOffset.UtcNow;
        using (var scope = pipeline.Api.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
            // The oldest row, so the relay meets it first.
            db.PendingInboundMessages.Add(new PendingInboundMessage
            {
                Id = Guid.CreateVersion7(),
                AppId = pipeline.Account.AppId,
                DedupKey = "msg|unreadable",
                Payload = "{\"appId\": tr",
                CreatedAt = now.AddMinutes(-1),
            });
            foreach (var follower in followers)
            {
                var push = pipeline.Text(follower, "帮助");
                pipeline.Simulator.Platform.RecordInteraction(pipeline.Account.AppId, push);
                var parsed = InboundMessageParser.Parse(push.ToString());
                var contract = new InboundMessageReceived(pipeline.Account.AppId, parsed.DeduplicationKey, parsed, push.ToString(), now);
                db.PendingInboundMessages.Add(new PendingInboundMessage
                {
                    Id = Guid.CreateVersion7(),
                    AppId = contract.AppId,
                    DedupKey = contract.DedupKey,
                    Payload = JsonSerializer.Serialize(contract, ContractJson.Options),
                    CreatedAt = now,
                });
            }

            await db.SaveChangesAsync();
        }

        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "the replies to the callbacks behind it", pipeline.CallSummary);
        using (var scope = pipeline.Api.Services.CreateScope())
        {
            var parked = Assert.Single(scope.ServiceProvider.GetRequiredService<WeChatDbContext>().PendingInboundMessages.AsNoTracking().ToList());
            Assert.Equal("msg|unreadable", parked.DedupKey);
            Assert.True(parked.LeaseUntil > now.AddYears(100), $"parked for good, not retried: lease until {parked.LeaseUntil}");
        }
    }

    [Fact]
    public async Task A_reply_in_flight_when_the_broker_goes_away_is_sent_once_and_confirmed()
    {
        // The send is held for the broker's stop plus a few seconds: neither the attempt timeout nor the
        // outbox lease may run out meanwhile, or the reply would rightly count as Unconfirmed.
        await using var pipeline = await PipelineHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Outbox:LeaseSeconds"] = "30",
            ["WeChat:ApiAttemptTimeoutSeconds"] = "30",
        });
        const string follower = "oBrokerInFlight01";
        pipeline.Simulator.Platform.Faults.Add(new FaultRule { PathContains = "custom/send", HoldUntilReleased = true });
        Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body);
        await PipelineHarness.WaitUntilAsync(() => pipeline.Simulator.Platform.Faults.Held == 1, Patience, "the reply in flight", pipeline.CallSummary);

        // The worker loses its broker connection while WeChat is still answering the send.
        try
        {
            await Broker.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            pipeline.Simulator.Platform.Faults.Release();
        }
        finally
        {
            await Broker.StartAsync();
        }

        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the reply", pipeline.CallSummary);
        OutboxStatus[] Statuses()
        {
            using var scope = pipeline.Api.Services.CreateScope();
            return [.. scope.ServiceProvider.GetRequiredService<IApplicationDbContext>().OutboxMessages
                .Where(m => m.ToUser == follower && m.Kind == OutboxKind.CustomerServiceMessage).Select(m => m.Status)];
        }

        await PipelineHarness.WaitUntilAsync(() => Statuses() is [not OutboxStatus.Sending], Patience, "the send's outcome", pipeline.StateReport);
        await Task.Delay(TimeSpan.FromSeconds(7)); // the worker reconnects and gets the unacknowledged message again: a no-op
        Assert.Single(pipeline.RepliesTo(follower));
        Assert.Equal(OutboxStatus.Sent, Assert.Single(Statuses()));
    }

    [Fact]
    public async Task Two_workers_consuming_two_thousand_messages_reply_to_each_exactly_once()
    {
        await using var pipeline = await PipelineHarness.StartAsync(workers: 2);
        const int count = 2000;
        var followers = Enumerable.Range(0, count).Select(i => $"oLoadFollower{i:D5}").ToList();

        await Parallel.ForEachAsync(followers, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (follower, _) =>
            Assert.Equal("success", Assert.Single(await pipeline.SendAsync(pipeline.Text(follower, "帮助"))).Body));

        await PipelineHarness.WaitUntilAsync(() => pipeline.AllReplies().Count >= count, TimeSpan.FromSeconds(180), $"{count} replies", pipeline.StateReport);
        await PipelineHarness.SettleAsync();
        var perFollower = pipeline.AllReplies().GroupBy(call => call.Json()!["touser"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(count, perFollower.Count);
        Assert.All(perFollower, pair => Assert.Equal(1, pair.Value));
        // The workers and the API took turns at the SQLite file: none waited for its lock after its turn (event 8011).
        Assert.DoesNotContain("does not take turns", pipeline.WorkerOutput(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task System_busy_bursts_delay_replies_but_never_lose_or_duplicate_them()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        pipeline.Simulator.Platform.Faults.Add(new FaultRule { PathContains = "custom/send", ErrorBurst = 25 });
        var followers = Enumerable.Range(0, 10).Select(i => $"oBusyFollower{i:D3}").ToList();

        foreach (var follower in followers)
        {
            await pipeline.SendAsync(pipeline.Text(follower, "帮助"));
        }

        await PipelineHarness.WaitUntilAsync(() => followers.All(f => pipeline.RepliesTo(f).Count > 0), Patience, "every reply despite -1", () => pipeline.CallSummary() + "\n" + pipeline.WorkerOutput());
        await PipelineHarness.SettleAsync();
        Assert.All(followers, follower => Assert.Single(pipeline.RepliesTo(follower)));
        Assert.Equal(25, pipeline.Simulator.Platform.Calls.Count(call => call.ErrorCode == -1));
    }

    [Fact]
    public async Task A_reply_whose_token_is_refused_again_after_the_refresh_is_retried_and_sent_once()
    {
        await using var pipeline = await PipelineHarness.StartAsync();
        const string follower = "oRefusedTwice001";
        // Someone keeps invalidating the token: the send and the client's one retry both get 40001.
        pipeline.Simulator.Platform.Faults.Add(new FaultRule { PathContains = "custom/send", ErrorCode = 40001, ErrorBurst = 2 });

        await pipeline.SendAsync(pipeline.Text(follower, "帮助"));

        await PipelineHarness.WaitUntilAsync(() => pipeline.RepliesTo(follower).Count > 0, Patience, "the reply after the refusals", pipeline.CallSummary);
        await PipelineHarness.SettleAsync();
        Assert.Single(pipeline.RepliesTo(follower));
        Assert.Equal(2, pipeline.Simulator.Platform.Calls.Count(call => call.ErrorCode == 40001));
    }

    private static int PendingInbound(PipelineHarness pipeline)
    {
        using var scope = pipeline.Api.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<WeChatDbContext>().PendingInboundMessages.Count();
    }

    /// <summary>Text messages the worker's handlers finished with <paramref name="outcome"/>, from its Prometheus page.</summary>
    private static long HandlerCount(string metrics, string outcome) => metrics.Split('\n')
        .Where(line => line.StartsWith("wechat_handler_duration", StringComparison.Ordinal) && line.Contains("_count{", StringComparison.Ordinal)
            && line.Contains(nameof(HandleTextMessage), StringComparison.Ordinal) && line.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal))
        .Sum(line => long.Parse(line[(line.IndexOf("} ", StringComparison.Ordinal) + 2)..].Split(' ')[0], CultureInfo.InvariantCulture));
}
