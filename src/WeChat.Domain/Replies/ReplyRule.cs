namespace WeChat.Domain.Replies;

/// <summary>What a rule reacts to.</summary>
public enum ReplyTrigger
{
    /// <summary>A text message (or recognised speech), matched by <see cref="TextMatch"/>.</summary>
    Text = 1,

    /// <summary>A custom-menu click; <see cref="ReplyRule.Pattern"/> is the button key.</summary>
    Click = 2,

    /// <summary>An existing follower scanned a parametric QR code; <see cref="ReplyRule.Pattern"/> is the scene.</summary>
    Scan = 3,

    /// <summary>A follow; <see cref="ReplyRule.Pattern"/> is the QR scene, or null for any follow.</summary>
    Subscribe = 4,

    /// <summary>Any user message no other rule matched.</summary>
    Default = 5,
}

public enum TextMatch
{
    Exact = 1,
    Prefix = 2,
    Contains = 3,
    Regex = 4,
}

/// <summary>An auto-reply rule of one account. Higher <see cref="Priority"/> wins; ties go to the older rule.</summary>
public sealed class ReplyRule
{
    public const int MaxPatternLength = 512;

    public long Id { get; init; }

    public required string AppId { get; init; }

    public required string Name { get; set; }

    public required ReplyTrigger Trigger { get; set; }

    /// <summary>For <see cref="ReplyTrigger.Text"/> rules only.</summary>
    public TextMatch? Match { get; set; }

    /// <summary>The text, regex, key or scene; null on event rules means "any".</summary>
    public string? Pattern { get; set; }

    public int Priority { get; set; }

    public bool Enabled { get; set; } = true;

    public required ReplyContent Reply { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }
}
