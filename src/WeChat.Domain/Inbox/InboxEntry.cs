namespace WeChat.Domain.Inbox;

/// <summary>
/// Proof that an inbound push was handled. Unique on (AppId, DedupKey) and inserted first in the
/// handler's transaction, so a WeChat retry or a broker redelivery finds it and does nothing.
/// </summary>
public sealed class InboxEntry
{
    public long Id { get; init; }

    public required string AppId { get; init; }

    public required string DedupKey { get; init; }

    public required string MsgType { get; init; }

    public string? Event { get; init; }

    public required string FromUserName { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required DateTimeOffset ProcessedAt { get; init; }
}
