using Mediator;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Followers;
using WeChat.Domain.Conversations;

namespace WeChat.Application.Inbound;

/// <summary>kf_create_session: an agent accepted the follower; the bot goes quiet.</summary>
public sealed record HandleAgentSessionCreated(InboundEnvelope Envelope, string KfAccount) : IInboundCommand;

/// <summary>kf_close_session: the follower is back with the bot.</summary>
public sealed record HandleAgentSessionClosed(InboundEnvelope Envelope, string KfAccount) : IInboundCommand;

/// <summary>kf_switch_session: another agent took over.</summary>
public sealed record HandleAgentSessionSwitched(InboundEnvelope Envelope, string FromKfAccount, string ToKfAccount) : IInboundCommand;

public sealed class AgentSessionHandlers(FollowerDirectory directory, TimeProvider time) :
    ICommandHandler<HandleAgentSessionCreated, InboundResult>,
    ICommandHandler<HandleAgentSessionClosed, InboundResult>,
    ICommandHandler<HandleAgentSessionSwitched, InboundResult>
{
    public ValueTask<InboundResult> Handle(HandleAgentSessionCreated command, CancellationToken cancellationToken) =>
        MoveAsync(command.Envelope, ConversationStates.Agent, command.KfAccount, cancellationToken);

    public async ValueTask<InboundResult> Handle(HandleAgentSessionClosed command, CancellationToken cancellationToken)
    {
        var session = await directory.SessionAsync(command.Envelope.AppId, command.Envelope.FromUserName, cancellationToken);
        // A close from an agent who no longer serves the follower (switched away) changes nothing.
        if (session.KfAccount is null || session.KfAccount == command.KfAccount)
        {
            session.MoveTo(ConversationStates.Bot, time.GetUtcNow());
        }

        return InboundResult.Handled;
    }

    public ValueTask<InboundResult> Handle(HandleAgentSessionSwitched command, CancellationToken cancellationToken) =>
        MoveAsync(command.Envelope, ConversationStates.Agent, command.ToKfAccount, cancellationToken);

    private async ValueTask<InboundResult> MoveAsync(InboundEnvelope envelope, string state, string kfAccount, CancellationToken cancellationToken)
    {
        var session = await directory.SessionAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        session.MoveTo(state, time.GetUtcNow(), ConversationSession.AgentIdleTimeout, kfAccount);
        return InboundResult.Handled;
    }
}
