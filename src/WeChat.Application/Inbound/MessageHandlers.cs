using Mediator;
using Microsoft.Extensions.Options;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Configuration;
using WeChat.Application.Outbox;
using WeChat.Application.Replies;
using WeChat.Domain.Conversations;
using WeChat.Domain.Outbox;

namespace WeChat.Application.Inbound;

/// <summary>A text message (or recognised speech): hand-off keyword, then the account's reply rules.</summary>
public sealed record HandleTextMessage(InboundEnvelope Envelope, string Content, string? BizMsgMenuId) : IInboundCommand;

public sealed class HandleTextMessageHandler(
    ConversationTurn turn,
    ReplyRuleMatcher rules,
    OutboxWriter outbox,
    IOptions<ConversationOptions> options,
    TimeProvider time) : ICommandHandler<HandleTextMessage, InboundResult>
{
    /// <summary>How long the platform may take to find an agent before the session falls back to the bot.</summary>
    private static readonly TimeSpan HandOffTimeout = TimeSpan.FromMinutes(5);

    public async ValueTask<InboundResult> Handle(HandleTextMessage command, CancellationToken cancellationToken)
    {
        var envelope = command.Envelope;
        var context = await turn.BeginAsync(envelope, "message", cancellationToken);
        if (!context.BotMayAnswer)
        {
            return InboundResult.Handled;
        }

        if (string.Equals(command.Content.Trim(), options.Value.HandOffKeyword, StringComparison.OrdinalIgnoreCase))
        {
            context.Session.MoveTo(ConversationStates.AwaitingAgent, time.GetUtcNow(), HandOffTimeout);
            outbox.Add(envelope.AppId, OutboxKind.HandOffToAgent, envelope.FromUserName, "{}", source: envelope.DedupKey);
            return InboundResult.Handled;
        }

        if (await rules.ForTextAsync(envelope.AppId, command.Content, cancellationToken) is { } reply)
        {
            outbox.Reply(envelope, reply);
        }

        return InboundResult.Handled;
    }
}

/// <summary>Pictures, voice without recognition, video, links, Mini Program cards, unknown message types: the default reply.</summary>
public sealed record HandleUserMessage(InboundEnvelope Envelope) : IInboundCommand;

public sealed class HandleUserMessageHandler(ConversationTurn turn, ReplyRuleMatcher rules, OutboxWriter outbox)
    : ICommandHandler<HandleUserMessage, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleUserMessage command, CancellationToken cancellationToken)
    {
        var context = await turn.BeginAsync(command.Envelope, "message", cancellationToken);
        if (context.BotMayAnswer && await rules.DefaultAsync(command.Envelope.AppId, cancellationToken) is { } reply)
        {
            outbox.Reply(command.Envelope, reply);
        }

        return InboundResult.Handled;
    }
}

/// <summary>A location the follower sent: remembered, then the default reply.</summary>
public sealed record HandleLocationMessage(InboundEnvelope Envelope, double Latitude, double Longitude, string? Label) : IInboundCommand;

public sealed class HandleLocationMessageHandler(ConversationTurn turn, ReplyRuleMatcher rules, OutboxWriter outbox)
    : ICommandHandler<HandleLocationMessage, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleLocationMessage command, CancellationToken cancellationToken)
    {
        var context = await turn.BeginAsync(command.Envelope, "message", cancellationToken);
        context.Follower.ReportLocation(command.Envelope.ReceivedAt, command.Latitude, command.Longitude, null);
        if (context.BotMayAnswer && await rules.DefaultAsync(command.Envelope.AppId, cancellationToken) is { } reply)
        {
            outbox.Reply(command.Envelope, reply);
        }

        return InboundResult.Handled;
    }
}

/// <summary>Anything else (subscription-message reports, mass/publish results, authorization events, unknown events): recorded in the inbox, nothing more.</summary>
public sealed record RecordOtherPush(InboundEnvelope Envelope) : IInboundCommand;

public sealed class RecordOtherPushHandler : ICommandHandler<RecordOtherPush, InboundResult>
{
    public ValueTask<InboundResult> Handle(RecordOtherPush command, CancellationToken cancellationToken) =>
        ValueTask.FromResult(InboundResult.Handled);
}
