using FluentValidation;

namespace WeChat.Application.Configuration;

/// <summary>The <c>Conversation</c> section: hand-off to human agents and its messages.</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "Conversation";

    /// <summary>What a follower types to reach a human agent.</summary>
    public string HandOffKeyword { get; set; } = "人工";

    public string HandOffStartedText { get; set; } = "正在为您转接人工客服,请稍候。";

    public string NoAgentOnlineText { get; set; } = "当前没有在线的人工客服,请稍后再试。您可以继续输入“帮助”使用自助服务。";
}

public sealed class ConversationOptionsValidator : AbstractValidator<ConversationOptions>
{
    public ConversationOptionsValidator()
    {
        RuleFor(o => o.HandOffKeyword).NotEmpty().MaximumLength(64);
        RuleFor(o => o.HandOffStartedText).NotEmpty();
        RuleFor(o => o.NoAgentOnlineText).NotEmpty();
    }
}
