namespace WeChat.Simulator.Platform;

/// <summary>What a follower did; each opens a customer-service window of its own size (protocol §7).</summary>
public enum Interaction
{
    /// <summary>Sent a message: 5 messages within 48 hours.</summary>
    Message,

    /// <summary>Clicked a click/scancode menu: 3 messages within 1 minute.</summary>
    MenuClick,

    /// <summary>Followed: 3 messages within 1 minute.</summary>
    Follow,

    /// <summary>Scanned a parametric QR code: 3 messages within 1 minute.</summary>
    Scan,
}

/// <summary>One follower of one account, as the platform sees them.</summary>
public sealed class SimulatedFollower(string openId)
{
    public string OpenId { get; } = openId;

    public bool Subscribed { get; set; } = true;

    public DateTimeOffset? SubscribedAt { get; set; }

    public string? QrScene { get; set; }

    public DateTimeOffset? LastInteractionAt { get; set; }

    public DateTimeOffset WindowEndsAt { get; set; }

    public int WindowMessagesLeft { get; set; }

    public DateTimeOffset? TypingUntil { get; set; }

    /// <summary>When true, template messages to this follower finish with "failed:user block".</summary>
    public bool BlocksTemplates { get; set; }

    /// <summary>
    /// Opens or extends the window. Allowances do not add up: the larger remaining allowance and the
    /// later end win.
    /// </summary>
    public void Interact(Interaction interaction, DateTimeOffset now)
    {
        var (length, allowance) = interaction == Interaction.Message
            ? (TimeSpan.FromHours(48), 5)
            : (TimeSpan.FromMinutes(1), 3);

        var open = now < WindowEndsAt;
        WindowEndsAt = open && WindowEndsAt > now + length ? WindowEndsAt : now + length;
        WindowMessagesLeft = open ? Math.Max(WindowMessagesLeft, allowance) : allowance;
        LastInteractionAt = now;
        if (interaction == Interaction.Follow)
        {
            Subscribed = true;
            SubscribedAt = now;
        }
    }

    /// <summary>0 if a customer-service message may be sent now (and counts it), else 45015 or 45047.</summary>
    public int TryConsumeWindow(DateTimeOffset now)
    {
        if (!Subscribed || now >= WindowEndsAt)
        {
            return 45015;
        }

        if (WindowMessagesLeft <= 0)
        {
            return 45047;
        }

        WindowMessagesLeft--;
        return 0;
    }
}
