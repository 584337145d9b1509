using Mediator;
using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Outbox;

namespace WeChat.Application.Common.Behaviours;

/// <summary>
/// One database transaction around the handler (and the inbox check inside it): the handler's state
/// changes and its outbox rows commit together or not at all. Runs inside the provider's execution
/// strategy, so a transient database failure retries the whole unit. Passes through when a
/// transaction is already open. No HTTP call happens in here: what must be sent is an outbox row.
/// </summary>
public sealed class TransactionBehaviour<TMessage, TResponse>(IApplicationDbContext db, OutboxRecorder recorder, IDatabaseWriteGate writeGate)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage, ITransactionalCommand
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return await next(message, cancellationToken);
        }

        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            // A retried unit starts from scratch: nothing from a failed attempt may leak into it.
            recorder.Clear();
            db.ChangeTracker.Clear();
            using var writer = await writeGate.EnterAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var response = await next(message, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return response;
        }, cancellationToken);
    }
}
