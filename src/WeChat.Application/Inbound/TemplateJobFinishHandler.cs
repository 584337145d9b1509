using Mediator;
using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Domain.Templates;

namespace WeChat.Application.Inbound;

/// <summary>TEMPLATESENDJOBFINISH: WeChat's delivery report for one of our template sends (matched by <c>MsgID</c>).</summary>
public sealed record HandleTemplateSendJobFinish(InboundEnvelope Envelope, long MsgId, bool Succeeded, bool BlockedByUser, string Status) : IInboundCommand;

/// <summary>The report arrived before this platform recorded the msgid of the send: retried shortly by the bus.</summary>
public sealed class TemplateSendNotYetRecordedException(long msgId)
    : Exception($"Template msgid {msgId} is not recorded yet while a send to the follower is still in flight.");

public sealed class HandleTemplateSendJobFinishHandler(IApplicationDbContext db, TimeProvider time)
    : ICommandHandler<HandleTemplateSendJobFinish, InboundResult>
{
    private static readonly TimeSpan InFlightWindow = TimeSpan.FromMinutes(10);

    public async ValueTask<InboundResult> Handle(HandleTemplateSendJobFinish command, CancellationToken cancellationToken)
    {
        var envelope = command.Envelope;
        var message = await db.TemplateMessages.FirstOrDefaultAsync(
            m => m.AppId == envelope.AppId && m.WeChatMsgId == command.MsgId, cancellationToken);
        if (message is not null)
        {
            message.Finish(command.Succeeded, command.BlockedByUser, command.Status, time.GetUtcNow());
            return InboundResult.Handled;
        }

        // The send's answer and this report race; if a send to this follower is still unrecorded, wait for it.
        var since = time.GetUtcNow() - InFlightWindow;
        var inFlight = await db.TemplateMessages.AnyAsync(
            m => m.AppId == envelope.AppId && m.ToUser == envelope.FromUserName && m.Status == TemplateMessageStatus.Queued && m.CreatedAt >= since,
            cancellationToken);
        return inFlight
            ? throw new TemplateSendNotYetRecordedException(command.MsgId)
            : InboundResult.Handled; // sent by another system on this account: not ours to track
    }
}
