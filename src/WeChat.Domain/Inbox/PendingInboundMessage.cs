namespace WeChat.Domain.Inbox;

/// <summary>
/// A callback that was acknowledged while the broker was unreachable: kept here until the relay
/// publishes it. The payload is the serialized bus contract.
/// </summary>
public sealed class PendingInboundMessage
{
    public required Guid Id { get; init; }

    public required string AppId { get; init; }

    public required string DedupKey { get; init; }

    public required string Payload { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public int Attempts { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }
}
