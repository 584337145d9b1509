using FluentValidation;
using WeChat.Domain.Accounts;

namespace WeChat.Application.Configuration;

public sealed class WeChatOptionsValidator : AbstractValidator<WeChatOptions>
{
    public WeChatOptionsValidator()
    {
        RuleFor(o => o.ApiBaseUrl).Must(BeAbsoluteHttpUrl).WithMessage("must be an absolute http(s) URL, e.g. https://api.weixin.qq.com");
        RuleFor(o => o.OAuthAuthorizeUrl).Must(BeAbsoluteHttpUrl).WithMessage("must be an absolute http(s) URL");
        RuleFor(o => o.TimestampToleranceSeconds).GreaterThanOrEqualTo(0).WithMessage("must be 0 (check off) or a positive number of seconds");
        RuleFor(o => o.MaxCallbackBodyBytes).InclusiveBetween(1024, 10 * 1024 * 1024).WithMessage("must be between 1024 and 10485760 bytes");
        RuleFor(o => o.TokenRefreshMarginSeconds).InclusiveBetween(10, 290)
            .WithMessage("must be between 10 and 290 seconds (stable_token only rolls a token over in its last 300 seconds)");
        RuleFor(o => o.ApiAttemptTimeoutSeconds).InclusiveBetween(1, 60).WithMessage("must be between 1 and 60 seconds");
        RuleFor(o => o.Accounts).NotEmpty().WithMessage("configure at least one account (WeChat:Accounts:0:AppId, AppSecret, Token, EncodingAESKey)");
        RuleForEach(o => o.Accounts).SetValidator(new WeChatAccountOptionsValidator());
        RuleFor(o => o.Accounts).Custom((accounts, context) =>
        {
            var duplicates = accounts.Select((account, index) => (account.AppId, index))
                .Where(pair => !string.IsNullOrEmpty(pair.AppId))
                .GroupBy(pair => pair.AppId, StringComparer.Ordinal)
                .Where(group => group.Count() > 1);
            foreach (var group in duplicates)
            {
                var indexes = group.Select(pair => pair.index).ToList();
                context.AddFailure($"Accounts[{indexes[^1]}].AppId",
                    $"duplicate AppId '{group.Key}' (also at WeChat:Accounts:{string.Join(", ", indexes[..^1])}); each account must appear once");
            }
        });
    }

    private static bool BeAbsoluteHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

public sealed class WeChatAccountOptionsValidator : AbstractValidator<WeChatAccountOptions>
{
    public WeChatAccountOptionsValidator()
    {
        RuleFor(a => a.AppId).Cascade(CascadeMode.Stop).NotEmpty().WithMessage("is required (the account's AppID, e.g. wx0123456789abcdef)")
            .MaximumLength(32).Matches("^[A-Za-z0-9_-]+$").WithMessage("may contain only letters, digits, '_' and '-'");
        RuleFor(a => a.AppSecret).NotEmpty().WithMessage("is required (from the console's basic configuration page)");
        RuleFor(a => a.Token).Cascade(CascadeMode.Stop).NotEmpty().WithMessage("is required (the Token entered in the console's server configuration)")
            .Matches("^[A-Za-z0-9]{3,32}$").WithMessage("must be 3-32 letters or digits, as the WeChat console requires");
        RuleFor(a => a.EncodingAESKey).NotEmpty().When(a => a.RequireEncryption)
            .WithMessage("is required when RequireEncryption is true");
        RuleFor(a => a.EncodingAESKey).Custom((key, context) =>
        {
            if (!string.IsNullOrEmpty(key) && !EncodingAesKey.TryDecode(key, out _, out var error))
            {
                context.AddFailure($"{error}; copy the 43-character EncodingAESKey from the console's server configuration");
            }
        });
        RuleFor(a => a.ApiRequestsPerSecond).InclusiveBetween(1, 10_000);
        RuleFor(a => a.TemplateMessagesPerSecond).InclusiveBetween(1, 10_000);
    }
}
