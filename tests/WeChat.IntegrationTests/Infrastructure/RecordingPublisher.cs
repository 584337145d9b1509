using System.Collections.Concurrent;
using WeChat.Application.Abstractions;
using WeChat.Application.Contracts;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>Stands in for the bus at the publishing port, to see exactly what the endpoint handed on.</summary>
public sealed class RecordingPublisher : IInboundMessagePublisher
{
    private readonly ConcurrentQueue<InboundMessageReceived> _published = new();

    public PublishOutcome NextOutcome { get; set; } = PublishOutcome.Confirmed;

    public IReadOnlyCollection<InboundMessageReceived> Published => _published;

    public ValueTask<PublishOutcome> PublishAsync(InboundMessageReceived message, CancellationToken cancellationToken)
    {
        if (NextOutcome != PublishOutcome.Unavailable)
        {
            _published.Enqueue(message);
        }

        return ValueTask.FromResult(NextOutcome);
    }

    public void Clear() => _published.Clear();
}
