using Mediator;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Configuration;
using WeChat.Application.WebLogin;

namespace WeChat.Api.WebLogin;

/// <summary>
/// <c>/oauth/{appId}</c>: web authorization for pages opened inside WeChat. <c>authorize</c> sends the
/// follower to WeChat with a signed, expiring state; <c>callback</c> checks it, exchanges the
/// single-use code once, fetches the profile for <c>snsapi_userinfo</c>, remembers the follower and
/// returns to an allow-listed page with a short-lived signed token naming the OpenID.
/// </summary>
public static partial class WebLoginEndpoints
{
    public const string TokenParameter = "wechat_token";

    public static RouteGroupBuilder MapWebLogin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/oauth/{appId}").WithTags("Web login");
        group.MapGet("/authorize", Authorize);
        group.MapGet("/callback", CallbackAsync);
        return group;
    }

    public static IResult Authorize(
        string appId,
        string? returnUrl,
        string? scope,
        HttpRequest request,
        WebLoginSigner signer,
        IOptions<WeChatOptions> wechat,
        IOptions<OAuthOptions> oauth)
    {
        if (wechat.Value.Accounts.All(a => a.AppId != appId))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No account {appId} is configured");
        }

        scope ??= WebLoginScopes.Base;
        if (scope is not (WebLoginScopes.Base or WebLoginScopes.UserInfo))
        {
            return Invalid("scope", "must be snsapi_base or snsapi_userinfo");
        }

        if (!IsAllowedReturnUrl(returnUrl, oauth.Value))
        {
            return Invalid("returnUrl", "must be an absolute http(s) URL on a host listed in OAuth:AllowedReturnHosts");
        }

        var state = signer.CreateState(appId, scope, returnUrl!);
        var redirectUri = $"{PublicBase(request, oauth.Value)}/oauth/{appId}/callback?returnUrl={Uri.EscapeDataString(returnUrl!)}";
        var authorize = $"{wechat.Value.OAuthAuthorizeUrl}?appid={Uri.EscapeDataString(appId)}&redirect_uri={Uri.EscapeDataString(redirectUri)}" +
            $"&response_type=code&scope={scope}&state={state}#wechat_redirect";
        return TypedResults.Redirect(authorize);
    }

    public static async Task<IResult> CallbackAsync(
        string appId,
        string? code,
        string? state,
        string? returnUrl,
        WebLoginSigner signer,
        IWeChatOAuthApi oauthApi,
        ISender sender,
        IOptions<OAuthOptions> oauth,
        ILogger<WebLoginSigner> logger,
        CancellationToken cancellationToken)
    {
        if (!IsAllowedReturnUrl(returnUrl, oauth.Value))
        {
            return Invalid("returnUrl", "must be an absolute http(s) URL on a host listed in OAuth:AllowedReturnHosts");
        }

        if (signer.VerifyState(appId, state, returnUrl!) is not { } scope)
        {
            LogRefused(logger, appId, "invalid or expired state");
            return Invalid("state", "invalid or expired; start the login again");
        }

        if (string.IsNullOrEmpty(code))
        {
            // The follower declined (snsapi_userinfo) or WeChat sent no code.
            return Invalid("code", "missing: the follower did not authorize");
        }

        var token = await oauthApi.ExchangeCodeAsync(appId, code, cancellationToken);
        if (!token.Succeeded)
        {
            LogRefused(logger, appId, $"code exchange failed: {token}");
            return token.Failure == WeChatFailure.OAuthCodeInvalid
                ? Invalid("code", "invalid, expired or already used; start the login again")
                : Internal.WeChatProblems.From(token);
        }

        var grant = token.Value!;
        OAuthUserInfo? profile = null;
        if (scope == WebLoginScopes.UserInfo && grant.Scope.Contains(WebLoginScopes.UserInfo, StringComparison.Ordinal))
        {
            var info = await oauthApi.GetUserInfoAsync(appId, grant.AccessToken, grant.OpenId, cancellationToken);
            profile = info.Succeeded ? info.Value : null;
        }

        // Snapshot-page users get a virtual OpenID: never stored (protocol §10.1).
        if (!grant.IsSnapshotUser)
        {
            await sender.Send(new CompleteWebLogin(appId, grant.OpenId, profile?.Nickname, profile?.HeadImageUrl, profile?.UnionId ?? grant.UnionId), cancellationToken);
        }

        var separator = returnUrl!.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return TypedResults.Redirect($"{returnUrl}{separator}{TokenParameter}={Uri.EscapeDataString(signer.CreateIdentityToken(appId, grant.OpenId))}");
    }

    private static bool IsAllowedReturnUrl(string? returnUrl, OAuthOptions options) =>
        Uri.TryCreate(returnUrl, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && string.IsNullOrEmpty(uri.Fragment)
        && options.AllowedReturnHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase);

    private static string PublicBase(HttpRequest request, OAuthOptions options) =>
        string.IsNullOrEmpty(options.PublicBaseUrl) ? $"{request.Scheme}://{request.Host}" : options.PublicBaseUrl.TrimEnd('/');

    private static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "Web login refused");

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Web login for {AppId} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string appId, string reason);
}
