using System.Text.RegularExpressions;
using FluentValidation;
using WeChat.Domain.Replies;

namespace WeChat.Application.ReplyRules;

public sealed class ReplyRuleInputValidator : AbstractValidator<ReplyRuleInput>
{
    public ReplyRuleInputValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(128);
        RuleFor(r => r.Trigger).IsInEnum();
        RuleFor(r => r.Priority).InclusiveBetween(-1000, 1000);
        RuleFor(r => r.Match).NotNull().IsInEnum().When(r => r.Trigger == ReplyTrigger.Text)
            .WithMessage("is required for text rules: exact, prefix, contains or regex");
        RuleFor(r => r.Match).Null().When(r => r.Trigger != ReplyTrigger.Text).WithMessage("applies to text rules only");
        RuleFor(r => r.Pattern).NotEmpty().When(r => r.Trigger == ReplyTrigger.Text).WithMessage("is required for text rules");
        RuleFor(r => r.Pattern).Null().When(r => r.Trigger == ReplyTrigger.Default).WithMessage("must be empty for the default rule");
        RuleFor(r => r.Pattern).MaximumLength(ReplyRule.MaxPatternLength);
        RuleFor(r => r.Pattern).Must(BeAValidRegex).When(r => r is { Trigger: ReplyTrigger.Text, Match: TextMatch.Regex })
            .WithMessage("is not a valid regular expression");
        RuleFor(r => r.Reply).NotNull().SetValidator(new ReplyContentValidator());
    }

    private static bool BeAValidRegex(string? pattern)
    {
        try
        {
            _ = new Regex(pattern ?? string.Empty, RegexOptions.None, TimeSpan.FromMilliseconds(50));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>What WeChat needs for each kind of reply (protocol §4, §7).</summary>
public sealed class ReplyContentValidator : AbstractValidator<ReplyContent>
{
    /// <summary>WeChat cuts customer-service text at about 2048 bytes.</summary>
    public const int MaxTextLength = 2000;

    public ReplyContentValidator()
    {
        RuleFor(r => r).Custom((reply, context) =>
        {
            var problem = reply switch
            {
                TextReply { Content.Length: 0 } => "text needs content",
                TextReply { Content.Length: > MaxTextLength } => $"text content is limited to {MaxTextLength} characters",
                ImageReply { MediaId.Length: 0 } or VoiceReply { MediaId.Length: 0 } or VideoReply { MediaId.Length: 0 } or MpNewsReply { MediaId.Length: 0 } => "needs a mediaId",
                MusicReply { ThumbMediaId.Length: 0 } => "music needs a thumbMediaId",
                NewsReply news when news.Articles is not { Count: 1 } => "news must have exactly one article (WeChat answers 45008 otherwise)",
                NewsReply news when string.IsNullOrEmpty(news.Articles[0].Title) => "the article needs a title",
                MessageMenuReply menu when menu.Items is not { Count: >= 1 and <= 10 } => "a message menu needs 1 to 10 items",
                MessageMenuReply menu when menu.Items.Any(item => string.IsNullOrEmpty(item.Id) || string.IsNullOrEmpty(item.Content)) => "every menu item needs an id and content",
                MiniProgramPageReply page when string.IsNullOrEmpty(page.AppId) || string.IsNullOrEmpty(page.PagePath) || string.IsNullOrEmpty(page.ThumbMediaId) => "a Mini Program card needs appId, pagePath and thumbMediaId",
                _ => null,
            };
            if (problem is not null)
            {
                context.AddFailure(problem);
            }
        });
    }
}

public sealed class CreateReplyRuleValidator : AbstractValidator<CreateReplyRule>
{
    public CreateReplyRuleValidator() => RuleFor(c => c.Rule).NotNull().SetValidator(new ReplyRuleInputValidator());
}

public sealed class UpdateReplyRuleValidator : AbstractValidator<UpdateReplyRule>
{
    public UpdateReplyRuleValidator() => RuleFor(c => c.Rule).NotNull().SetValidator(new ReplyRuleInputValidator());
}
