using FluentValidation;
using MassTransit;
using Mediator;
using Microsoft.Extensions.Options;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;
using WeChat.Application.Contracts;
using WeChat.Application.Inbound;

namespace WeChat.Infrastructure.Messaging;

/// <summary>Maps the accepted push to its command and sends it through the mediator. Retries, redelivery and the error queue are MassTransit's job.</summary>
public sealed class InboundMessageReceivedConsumer(ISender sender, WeChatMetrics metrics, TimeProvider time) : IConsumer<InboundMessageReceived>
{
    public async Task Consume(ConsumeContext<InboundMessageReceived> context)
    {
        var message = context.Message;
        metrics.InboundConsumed(message.AppId, (time.GetUtcNow() - message.ReceivedAt).TotalMilliseconds);
        await sender.Send(InboundCommands.From(message), context.CancellationToken);
    }
}

/// <summary>
/// The inbound queue, a quorum queue on RabbitMQ: its name, prefetch and concurrency from <c>Messaging</c>, and in-process retries
/// with growing intervals (a briefly unavailable database, a race on a new follower row). A message
/// that still fails goes to <c>{queue}_error</c> and does not block the queue.
/// </summary>
public sealed class InboundMessageReceivedConsumerDefinition : ConsumerDefinition<InboundMessageReceivedConsumer>
{
    private readonly MessagingOptions _options;

    public InboundMessageReceivedConsumerDefinition(IOptions<MessagingOptions> options)
    {
        _options = options.Value;
        EndpointName = _options.InboundQueueName;
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<InboundMessageReceivedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.PrefetchCount;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            // Replicated on a cluster, and it confirms each publish once it is on disk without the
            // classic queue's wait for a periodic sync under load (ack p99 at 1,000/s: docs/benchmarks.md).
            rabbit.SetQuorumQueue();
        }

        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Intervals(100, 500, 1000, 2000, 5000);
            retry.Ignore<ValidationException>();
        });
    }
}
