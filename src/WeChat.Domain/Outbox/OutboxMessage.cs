namespace WeChat.Domain.Outbox;

/// <summary>What an outbox row asks the sender to do after the transaction that wrote it committed.</summary>
public enum OutboxKind
{
    /// <summary>A customer-service message (reply) to a follower.</summary>
    CustomerServiceMessage = 1,

    /// <summary>A template message; safe to retry thanks to <c>client_msg_id</c>.</summary>
    TemplateMessage = 2,

    /// <summary>Hand a follower to a human agent (online list, kfsession/create, tell the follower).</summary>
    HandOffToAgent = 3,

    /// <summary>Fetch the follower's profile with the user-info API.</summary>
    RefreshFollowerProfile = 4,
}

public enum OutboxStatus
{
    Pending = 0,

    /// <summary>Claimed by a sender and on its way to WeChat.</summary>
    Sending = 1,

    Sent = 2,

    /// <summary>WeChat refused it for good (typed, non-retryable) or retries ran out.</summary>
    Failed = 3,

    /// <summary>
    /// A send that may or may not have reached WeChat (timeout after the request left, or a sender
    /// that crashed mid-call). Not resent automatically for customer-service messages, which have
    /// no idempotency key: a duplicate would reach the follower.
    /// </summary>
    Unconfirmed = 4,
}

/// <summary>
/// Work for WeChat recorded inside a handler's (or an API call's) transaction and carried out after
/// commit. A sender claims a row with a conditional update before acting on it, so the fast path and
/// the background sweeper never both send it.
/// </summary>
public sealed class OutboxMessage
{
    public required Guid Id { get; init; }

    public required string AppId { get; init; }

    public required OutboxKind Kind { get; init; }

    /// <summary>The follower's OpenID.</summary>
    public required string ToUser { get; init; }

    /// <summary>Kind-specific JSON: the reply content, the template request, …</summary>
    public required string Payload { get; init; }

    /// <summary>Send as this customer-service agent (<c>kf_account</c>).</summary>
    public string? KfAccount { get; init; }

    /// <summary>What caused it: the inbound dedup key, or "api".</summary>
    public string? Source { get; init; }

    public OutboxStatus Status { get; set; }

    public int Attempts { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Set by a sender that claimed several rows in one update, to find exactly the rows it got.</summary>
    public Guid? ClaimToken { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public int? LastErrorCode { get; set; }

    public string? LastError { get; set; }
}
