using FluentValidation;

namespace WeChat.Application.Configuration;

/// <summary>The <c>OAuth</c> section: web authorization for pages opened inside WeChat.</summary>
public sealed class OAuthOptions
{
    public const string SectionName = "OAuth";

    /// <summary>Hosts a login may return to (exact host names). Empty: web login is off.</summary>
    public List<string> AllowedReturnHosts { get; set; } = [];

    /// <summary>
    /// This platform's public base URL (e.g. https://wx.example.com) for the redirect_uri WeChat calls
    /// back; the request's own scheme and host when not set (forward them from the proxy).
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>How long the authorize → callback round trip may take.</summary>
    public int StateLifetimeSeconds { get; set; } = 600;

    /// <summary>How long the signed identity token handed to the returnUrl is valid.</summary>
    public int IdentityTokenLifetimeSeconds { get; set; } = 300;

    /// <summary>
    /// Key for the signed state and identity tokens (at least 32 characters). When empty, a key is
    /// derived from each account's AppSecret, so tokens are per account and rotate with the secret.
    /// </summary>
    public string? SigningKey { get; set; }
}

public sealed class OAuthOptionsValidator : AbstractValidator<OAuthOptions>
{
    public OAuthOptionsValidator()
    {
        RuleForEach(o => o.AllowedReturnHosts).NotEmpty().Must(host => Uri.CheckHostName(host) != UriHostNameType.Unknown)
            .WithMessage("must be a host name like app.example.com (no scheme, no path)");
        RuleFor(o => o.PublicBaseUrl).Must(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            .When(o => !string.IsNullOrEmpty(o.PublicBaseUrl)).WithMessage("must be an absolute http(s) URL");
        RuleFor(o => o.StateLifetimeSeconds).InclusiveBetween(30, 3600);
        RuleFor(o => o.IdentityTokenLifetimeSeconds).InclusiveBetween(10, 86_400);
        RuleFor(o => o.SigningKey).MinimumLength(32).When(o => !string.IsNullOrEmpty(o.SigningKey))
            .WithMessage("must be at least 32 characters (or empty to derive keys from the AppSecrets)");
    }
}
