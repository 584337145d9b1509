using WeChat.Application.Contracts;

namespace WeChat.Application.Abstractions;

/// <summary>How an accepted callback was made durable.</summary>
public enum PublishOutcome
{
    /// <summary>The broker confirmed the message.</summary>
    Confirmed,

    /// <summary>The broker was unreachable; the message is in the database and will be relayed.</summary>
    StoredForRelay,

    /// <summary>Neither the broker nor the fallback store took the message in time: answer 503 so WeChat retries.</summary>
    Unavailable,
}

/// <summary>Hands an accepted callback on for processing. Returns only once the message is durable (or clearly not).</summary>
public interface IInboundMessagePublisher
{
    ValueTask<PublishOutcome> PublishAsync(InboundMessageReceived message, CancellationToken cancellationToken);
}
