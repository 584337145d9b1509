using Mediator;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Outbox;

namespace WeChat.Application.Common.Behaviours;

/// <summary>
/// One database transaction around the handler (and the inbox check inside it): the handler's state
/// changes and its outbox rows commit together or not at all. Passes through when a transaction is
/// already open. No HTTP call happens in here: what must be sent is an outbox row. How the
/// transaction is run is the provider's (<see cref="IUnitOfWorkRunner"/>).
/// </summary>
public sealed class TransactionBehaviour<TMessage, TResponse>(IApplicationDbContext db, OutboxRecorder recorder, IUnitOfWorkRunner units)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage, ITransactionalCommand
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return await next(message, cancellationToken);
        }

        return await units.RunAsync(db, ct =>
        {
            // A retried unit starts from scratch: nothing from a failed attempt may leak into it.
            recorder.Clear();
            db.ChangeTracker.Clear();
            return next(message, ct);
        }, cancellationToken);
    }
}
