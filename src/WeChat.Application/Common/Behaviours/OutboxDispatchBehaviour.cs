using Mediator;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Outbox;

namespace WeChat.Application.Common.Behaviours;

/// <summary>
/// Outside the transaction: once the handler's unit of work committed, hands the outbox rows it wrote
/// to the sender at once (the fast path). If this process dies first, the background sweeper finds
/// them pending and sends them.
/// </summary>
public sealed class OutboxDispatchBehaviour<TMessage, TResponse>(OutboxRecorder recorder, IOutboxDispatcher dispatcher)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage, ITransactionalCommand
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var response = await next(message, cancellationToken);
        var committed = recorder.TakeAll();
        if (committed.Count > 0)
        {
            await dispatcher.DispatchAsync(committed, cancellationToken);
        }

        return response;
    }
}
