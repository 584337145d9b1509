using Mediator;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Followers;
using WeChat.Application.Outbox;
using WeChat.Application.Replies;
using WeChat.Domain.Conversations;
using WeChat.Domain.Replies;

namespace WeChat.Application.Inbound;

/// <summary>A follow, possibly through a parametric QR code (scene without the <c>qrscene_</c> prefix).</summary>
public sealed record HandleSubscribe(InboundEnvelope Envelope, string? QrScene) : IInboundCommand;

public sealed class HandleSubscribeHandler(FollowerDirectory directory, ConversationTurn turn, ReplyRuleMatcher rules, OutboxWriter outbox)
    : ICommandHandler<HandleSubscribe, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleSubscribe command, CancellationToken cancellationToken)
    {
        var envelope = command.Envelope;
        var (follower, _) = await directory.FollowerAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        follower.Subscribe(envelope.ReceivedAt, command.QrScene);
        turn.RequestProfile(envelope);
        if (await rules.ForEventAsync(envelope.AppId, ReplyTrigger.Subscribe, command.QrScene, cancellationToken) is { } reply)
        {
            outbox.Reply(envelope, reply);
        }

        return InboundResult.Handled;
    }
}

/// <summary>An unfollow: no more replies; any agent session ends.</summary>
public sealed record HandleUnsubscribe(InboundEnvelope Envelope) : IInboundCommand;

public sealed class HandleUnsubscribeHandler(FollowerDirectory directory, TimeProvider time) : ICommandHandler<HandleUnsubscribe, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleUnsubscribe command, CancellationToken cancellationToken)
    {
        var envelope = command.Envelope;
        var (follower, _) = await directory.FollowerAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        follower.Unsubscribe(envelope.ReceivedAt);
        var session = await directory.SessionAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        session.MoveTo(ConversationStates.Bot, time.GetUtcNow());
        return InboundResult.Handled;
    }
}

/// <summary>An existing follower scanned a parametric QR code.</summary>
public sealed record HandleScan(InboundEnvelope Envelope, string? Scene) : IInboundCommand;

public sealed class HandleScanHandler(ConversationTurn turn, ReplyRuleMatcher rules, OutboxWriter outbox) : ICommandHandler<HandleScan, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleScan command, CancellationToken cancellationToken)
    {
        var context = await turn.BeginAsync(command.Envelope, "scan", cancellationToken);
        if (context.BotMayAnswer && await rules.ForEventAsync(command.Envelope.AppId, ReplyTrigger.Scan, command.Scene, cancellationToken) is { } reply)
        {
            outbox.Reply(command.Envelope, reply);
        }

        return InboundResult.Handled;
    }
}

/// <summary>Automatic location reporting: remembered, never answered (it arrives every few seconds).</summary>
public sealed record HandleLocationReport(InboundEnvelope Envelope, double Latitude, double Longitude, double? Precision) : IInboundCommand;

public sealed class HandleLocationReportHandler(FollowerDirectory directory) : ICommandHandler<HandleLocationReport, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleLocationReport command, CancellationToken cancellationToken)
    {
        var envelope = command.Envelope;
        var (follower, _) = await directory.FollowerAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        follower.ReportLocation(envelope.ReceivedAt, command.Latitude, command.Longitude, command.Precision);
        return InboundResult.Handled;
    }
}

/// <summary>A menu button that reports to the platform: click, scancode, picture and location-select buttons, matched by key.</summary>
public sealed record HandleMenuClick(InboundEnvelope Envelope, string? Key, double? Latitude = null, double? Longitude = null) : IInboundCommand;

public sealed class HandleMenuClickHandler(ConversationTurn turn, ReplyRuleMatcher rules, OutboxWriter outbox) : ICommandHandler<HandleMenuClick, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleMenuClick command, CancellationToken cancellationToken)
    {
        var context = await turn.BeginAsync(command.Envelope, "click", cancellationToken);
        if (command is { Latitude: { } latitude, Longitude: { } longitude })
        {
            context.Follower.ReportLocation(command.Envelope.ReceivedAt, latitude, longitude, null);
        }

        if (context.BotMayAnswer && await rules.ForEventAsync(command.Envelope.AppId, ReplyTrigger.Click, command.Key, cancellationToken) is { } reply)
        {
            outbox.Reply(command.Envelope, reply);
        }

        return InboundResult.Handled;
    }
}

/// <summary>A view (link) or Mini Program menu button: the follower has left for a page, so nothing is said.</summary>
public sealed record HandleMenuView(InboundEnvelope Envelope) : IInboundCommand;

public sealed class HandleMenuViewHandler(FollowerDirectory directory) : ICommandHandler<HandleMenuView, InboundResult>
{
    public async ValueTask<InboundResult> Handle(HandleMenuView command, CancellationToken cancellationToken)
    {
        var envelope = command.Envelope;
        var (follower, _) = await directory.FollowerAsync(envelope.AppId, envelope.FromUserName, cancellationToken);
        follower.Interacted(envelope.ReceivedAt, "view");
        return InboundResult.Handled;
    }
}
