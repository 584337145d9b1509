using FluentValidation;

namespace WeChat.Application.Configuration;

/// <summary>The <c>Inbox</c> section: how long handled pushes are remembered for deduplication.</summary>
public sealed class InboxOptions
{
    public const string SectionName = "Inbox";

    /// <summary>
    /// Inbox rows older than this are purged by the workers (hourly). WeChat retries within about
    /// 15 seconds; days of margin cover broker redeliveries and replays from the error queue.
    /// </summary>
    public int RetentionDays { get; set; } = 7;
}

public sealed class InboxOptionsValidator : AbstractValidator<InboxOptions>
{
    public InboxOptionsValidator() => RuleFor(o => o.RetentionDays).InclusiveBetween(1, 3650);
}
