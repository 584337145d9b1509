using Mediator;
using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Domain.Inbox;

namespace WeChat.Application.Common.Behaviours;

/// <summary>
/// Inside the transaction, before the handler: inserts the inbox row keyed unique on
/// (AppId, DedupKey). If it already exists — a WeChat retry, a broker redelivery, or another worker
/// that won the race and committed first — the push was handled: stop, change nothing.
/// </summary>
public sealed class InboxBehaviour<TMessage, TResponse>(IApplicationDbContext db, IDatabaseErrors errors, TimeProvider time)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IInboundCommand
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        var entry = new InboxEntry
        {
            AppId = envelope.AppId,
            DedupKey = envelope.DedupKey,
            MsgType = envelope.MsgType,
            Event = envelope.Event,
            FromUserName = envelope.FromUserName,
            ReceivedAt = envelope.ReceivedAt,
            ProcessedAt = time.GetUtcNow(),
        };
        db.InboxEntries.Add(entry);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (errors.IsUniqueViolation(ex))
        {
            db.InboxEntries.Entry(entry).State = EntityState.Detached;
            return (TResponse)(object)InboundResult.Duplicate;
        }

        return await next(message, cancellationToken);
    }
}
