using FluentValidation;

namespace WeChat.Application.Configuration;

/// <summary>The <c>Outbox</c> section: how replies and other WeChat work are sent after commit.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>How often the background sweeper looks for unsent and stuck rows.</summary>
    public int SweepIntervalMilliseconds { get; set; } = 1000;

    /// <summary>How long a sender owns a claimed row; after that a crashed send is recovered.</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Attempts before a row that keeps failing transiently is marked Failed.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Rows the sweeper takes per round.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Rows the sweeper sends at once.</summary>
    public int MaxConcurrentSends { get; set; } = 8;

    /// <summary>
    /// Resend a customer-service message whose first send may or may not have reached WeChat (a timeout
    /// after the request left, or a sender that crashed mid-call). Off by default: the API has no
    /// idempotency key, so a resend can reach the follower twice; such rows are left Unconfirmed.
    /// </summary>
    public bool ResendUnconfirmed { get; set; }

    /// <summary>
    /// Finished rows (Sent, Failed, Unconfirmed) are kept this long — for the outbox summary, requeues
    /// and agent-message status — then purged hourly; at 500 replies/s the table would otherwise grow by
    /// 43 million rows a day.
    /// </summary>
    public int RetentionDays { get; set; } = 7;
}

public sealed class OutboxOptionsValidator : AbstractValidator<OutboxOptions>
{
    public OutboxOptionsValidator()
    {
        RuleFor(o => o.SweepIntervalMilliseconds).InclusiveBetween(50, 60_000);
        RuleFor(o => o.LeaseSeconds).InclusiveBetween(2, 3600);
        RuleFor(o => o.MaxAttempts).InclusiveBetween(1, 100);
        RuleFor(o => o.BatchSize).InclusiveBetween(1, 10_000);
        RuleFor(o => o.MaxConcurrentSends).InclusiveBetween(1, 256);
        RuleFor(o => o.RetentionDays).InclusiveBetween(1, 3650);
    }
}
