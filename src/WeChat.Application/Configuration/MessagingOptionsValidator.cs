using FluentValidation;

namespace WeChat.Application.Configuration;

public sealed class MessagingOptionsValidator : AbstractValidator<MessagingOptions>
{
    public MessagingOptionsValidator()
    {
        RuleFor(o => o.Transport).IsInEnum().WithMessage("must be RabbitMq or InMemory");
        RuleFor(o => o.InboundQueueName).NotEmpty().Matches("^[A-Za-z0-9._-]+$").WithMessage("must be a queue name of letters, digits, '.', '_' or '-'");
        RuleFor(o => o.PrefetchCount).InclusiveBetween(1, 10_000);
        RuleFor(o => o.ConcurrentMessageLimit).InclusiveBetween(1, 10_000);
        RuleFor(o => o.AckDeadlineMilliseconds).InclusiveBetween(200, 4500)
            .WithMessage("must be between 200 and 4500 ms: WeChat stops waiting after 5 seconds");
        RuleFor(o => o.PublishAttemptTimeoutMilliseconds).InclusiveBetween(50, 4500)
            .LessThanOrEqualTo(o => o.AckDeadlineMilliseconds).WithMessage("must be between 50 ms and Messaging:AckDeadlineMilliseconds");
    }
}
