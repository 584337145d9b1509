using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Application.Abstractions;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Conversations;
using WeChat.Application.Followers;
using WeChat.Application.Outbox;
using WeChat.Application.Templates;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;
using WeChat.Domain.Templates;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.Outbox;

/// <summary>What became of one attempt at an outbox row.</summary>
public readonly record struct OutboxAttempt(WeChatFailure Failure, int ErrorCode, string? Error)
{
    public static readonly OutboxAttempt Done = new(WeChatFailure.None, 0, null);

    public static OutboxAttempt From<T>(WeChatResult<T> result) => new(result.Failure, result.ErrorCode, result.ErrorMessage);
}

/// <summary>Carries out one kind of outbox row. Runs after commit, outside any transaction.</summary>
public interface IOutboxExecutor
{
    OutboxKind Kind { get; }

    Task<OutboxAttempt> ExecuteAsync(OutboxMessage message, IServiceProvider scope, CancellationToken cancellationToken);
}

internal sealed class CustomerServiceMessageExecutor(IWeChatMessagingApi messaging) : IOutboxExecutor
{
    public OutboxKind Kind => OutboxKind.CustomerServiceMessage;

    public async Task<OutboxAttempt> ExecuteAsync(OutboxMessage message, IServiceProvider scope, CancellationToken cancellationToken) =>
        OutboxAttempt.From(await messaging.SendCustomerServiceMessageAsync(
            message.AppId, message.ToUser, OutboxJson.Deserialize<ReplyContent>(message.Payload), message.KfAccount, cancellationToken));
}

internal sealed class TemplateMessageExecutor(IWeChatMessagingApi messaging, IDbContextFactory<WeChatDbContext> databases, IDatabaseWriteGate writeGate, TimeProvider time)
    : IOutboxExecutor
{
    public OutboxKind Kind => OutboxKind.TemplateMessage;

    public async Task<OutboxAttempt> ExecuteAsync(OutboxMessage message, IServiceProvider scope, CancellationToken cancellationToken)
    {
        var id = OutboxJson.Deserialize<TemplateMessagePayload>(message.Payload).TemplateMessageId;
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var template = await db.TemplateMessages.AsNoTracking().SingleAsync(m => m.Id == id, cancellationToken);
        var data = OutboxJson.Deserialize<Dictionary<string, string>>(template.Data);
        var result = await messaging.SendTemplateMessageAsync(message.AppId, new TemplateMessageRequest(
            template.ToUser, template.TemplateId, data, template.ClientMsgId, template.Url, template.MiniProgramAppId, template.MiniProgramPagePath), cancellationToken);

        // What WeChat answered is recorded whatever the token says: the send has happened.
        var now = time.GetUtcNow();
        using var writer = await writeGate.EnterAsync(CancellationToken.None);
        if (result.Succeeded)
        {
            // A delivery report that already arrived keeps its later status.
            await db.TemplateMessages.Where(m => m.Id == id && m.WeChatMsgId == null)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.WeChatMsgId, result.Value)
                    .SetProperty(m => m.SentAt, now)
                    .SetProperty(m => m.Status, m => m.Status == TemplateMessageStatus.Queued ? TemplateMessageStatus.Sent : m.Status), CancellationToken.None);
        }
        else if (!result.IsTransient)
        {
            await db.TemplateMessages.Where(m => m.Id == id && m.Status == TemplateMessageStatus.Queued)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Status, TemplateMessageStatus.Failed)
                    .SetProperty(m => m.ErrorCode, result.ErrorCode)
                    .SetProperty(m => m.Error, result.ErrorMessage)
                    .SetProperty(m => m.FinishedAt, now), CancellationToken.None);
        }

        return OutboxAttempt.From(result);
    }
}

/// <summary>
/// Hands a follower to the online agent with the fewest accepted cases (getonlinekflist,
/// kfsession/create), then records the outcome through <see cref="CompleteHandOff"/>, which tells
/// the follower. With nobody online the follower stays with the bot and is told so.
/// </summary>
internal sealed class HandOffExecutor(IWeChatCustomerServiceApi customerService) : IOutboxExecutor
{
    private const int ServedByAnotherAgent = 65414;

    public OutboxKind Kind => OutboxKind.HandOffToAgent;

    public async Task<OutboxAttempt> ExecuteAsync(OutboxMessage message, IServiceProvider scope, CancellationToken cancellationToken)
    {
        var online = await customerService.GetOnlineAgentsAsync(message.AppId, cancellationToken);
        if (online.IsTransient)
        {
            return OutboxAttempt.From(online);
        }

        string? assigned = null;
        foreach (var agent in (online.Value ?? []).Where(a => a.Status != 0).OrderBy(a => a.AcceptedCases).ThenBy(a => a.KfAccount, StringComparer.Ordinal))
        {
            var created = await customerService.CreateSessionAsync(message.AppId, agent.KfAccount, message.ToUser, cancellationToken);
            if (created.Succeeded)
            {
                assigned = agent.KfAccount;
                break;
            }

            if (created.IsTransient)
            {
                return OutboxAttempt.From(created);
            }

            if (created.ErrorCode == ServedByAnotherAgent)
            {
                var current = await customerService.GetSessionAsync(message.AppId, message.ToUser, cancellationToken);
                assigned = current.Value?.KfAccount;
                if (assigned is not null)
                {
                    break;
                }
            }
        }

        // The session exists now (or nobody was online): recorded and told whatever the token says.
        await scope.GetRequiredService<ISender>().Send(new CompleteHandOff(message.AppId, message.ToUser, assigned, message.Source ?? message.Id.ToString()), CancellationToken.None);
        return OutboxAttempt.Done;
    }
}

internal sealed class FollowerProfileExecutor(IWeChatManagementApi management) : IOutboxExecutor
{
    public OutboxKind Kind => OutboxKind.RefreshFollowerProfile;

    public async Task<OutboxAttempt> ExecuteAsync(OutboxMessage message, IServiceProvider scope, CancellationToken cancellationToken)
    {
        var profile = await management.GetUserInfoAsync(message.AppId, message.ToUser, cancellationToken);
        if (profile.Succeeded)
        {
            await scope.GetRequiredService<ISender>().Send(new ApplyFollowerProfiles(message.AppId, [profile.Value!]), CancellationToken.None);
        }

        return OutboxAttempt.From(profile);
    }
}
