namespace WeChat.Domain.Accounts;

/// <summary>
/// Per-account state the platform keeps besides the configuration: whether the default reply rules
/// were seeded (once, so an operator's deletions stick) and where the template fan-out schedule stands.
/// </summary>
public sealed class AccountRecord
{
    public required string AppId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RulesSeededAt { get; set; }

    /// <summary>Changes with every reply-rule change (same transaction), so workers know their cached rules are stale.</summary>
    public long RulesVersion { get; set; }

    /// <summary>The next free send slot for template messages; bulk sends are spread from here at the account's rate.</summary>
    public DateTimeOffset? TemplateScheduleCursor { get; set; }
}
