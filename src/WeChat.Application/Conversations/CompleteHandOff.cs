using Mediator;
using Microsoft.Extensions.Options;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Configuration;
using WeChat.Application.Followers;
using WeChat.Application.Outbox;
using WeChat.Domain.Conversations;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;

namespace WeChat.Application.Conversations;

/// <summary>
/// The result of a hand-off attempt (made after commit, by the outbox sender): the agent who took the
/// follower, or none online. Tells the follower and sets the session accordingly.
/// </summary>
public sealed record CompleteHandOff(string AppId, string OpenId, string? KfAccount, string Source) : ICommand, ITransactionalCommand;

public sealed class CompleteHandOffHandler(FollowerDirectory directory, OutboxWriter outbox, IOptions<ConversationOptions> options, TimeProvider time)
    : ICommandHandler<CompleteHandOff>
{
    public async ValueTask<Unit> Handle(CompleteHandOff command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var session = await directory.SessionAsync(command.AppId, command.OpenId, cancellationToken);
        string notice;
        if (command.KfAccount is { } agent)
        {
            // kf_create_session will confirm it; the session is the agent's from now on.
            session.MoveTo(ConversationStates.Agent, now, ConversationSession.AgentIdleTimeout, agent);
            notice = options.Value.HandOffStartedText;
        }
        else
        {
            session.MoveTo(ConversationStates.Bot, now);
            notice = options.Value.NoAgentOnlineText;
        }

        outbox.Add(command.AppId, OutboxKind.CustomerServiceMessage, command.OpenId, OutboxJson.Serialize<ReplyContent>(new TextReply(notice)), source: command.Source);
        return Unit.Value;
    }
}
