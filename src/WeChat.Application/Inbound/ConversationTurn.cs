using WeChat.Application.Common.Messaging;
using WeChat.Application.Followers;
using WeChat.Application.Outbox;
using WeChat.Domain.Conversations;
using WeChat.Domain.Followers;
using WeChat.Domain.Outbox;

namespace WeChat.Application.Inbound;

/// <summary>What every follower action does first: record the interaction, and decide whether the bot may answer.</summary>
public sealed record TurnContext(Follower Follower, ConversationSession Session, bool BotMayAnswer);

public sealed class ConversationTurn(FollowerDirectory directory, OutboxWriter outbox, TimeProvider time)
{
    /// <summary>
    /// Records the interaction (it opens the customer-service window) and fetches the profile of a
    /// follower seen for the first time. The bot stays silent for a follower who unfollowed and while
    /// a human agent serves them (the agent session's idle timer restarts).
    /// </summary>
    public async Task<TurnContext> BeginAsync(InboundEnvelope envelope, string interaction, CancellationToken cancellationToken)
    {
        var (follower, isNew) = await directory.FollowerAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        follower.Interacted(envelope.ReceivedAt, interaction);
        if (isNew)
        {
            RequestProfile(envelope);
        }

        var session = await directory.SessionAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        var withAgent = session.IsWithAgent(time.GetUtcNow());
        if (withAgent)
        {
            session.Touch(time.GetUtcNow());
        }

        return new TurnContext(follower, session, follower.MayReceiveMessages && !withAgent);
    }

    public void RequestProfile(InboundEnvelope envelope) =>
        outbox.Add(envelope.AppId, OutboxKind.RefreshFollowerProfile, envelope.FromUserName, "{}", source: envelope.DedupKey);
}
