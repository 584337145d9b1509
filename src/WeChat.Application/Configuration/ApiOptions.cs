using FluentValidation;

namespace WeChat.Application.Configuration;

/// <summary>The <c>Api</c> section: keys accepted in <c>X-Api-Key</c> for the internal API.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>With no keys the internal API is closed (every call is 401).</summary>
    public List<string> Keys { get; set; } = [];
}

public sealed class ApiOptionsValidator : AbstractValidator<ApiOptions>
{
    public ApiOptionsValidator()
    {
        RuleForEach(o => o.Keys).NotEmpty().MinimumLength(16)
            .WithMessage("must be at least 16 characters (generate one with: openssl rand -hex 24)");
    }
}
