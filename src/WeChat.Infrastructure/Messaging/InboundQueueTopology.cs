using MassTransit;
using RabbitMQ.Client;
using WeChat.Application.Contracts;

namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// The inbound queue as RabbitMQ holds it: a quorum queue behind a fanout exchange of the same name,
/// declared with the arguments a worker's receive endpoint uses (<c>SetQuorumQueue</c>), so either side
/// may declare it first; callbacks are sent to the exchange as mandatory.
/// </summary>
public static class InboundQueueTopology
{
    private static readonly Dictionary<string, object?> QuorumArguments = new() { [RabbitMQ.Client.Headers.XQueueType] = "quorum" };

    /// <summary>Idempotent.</summary>
    public static async Task DeclareAsync(IChannel channel, string queue, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, QuorumArguments, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, queue, string.Empty, cancellationToken: cancellationToken);
    }

    /// <summary>Routed to no queue, the message comes back (<see cref="MessageReturnedException"/>) rather than being confirmed and dropped.</summary>
    public static void MakeMandatory(SendContext<InboundMessageReceived> context)
    {
        if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
        {
            rabbit.Mandatory = true;
        }
    }
}
