using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Configuration;
using WeChat.Domain.Credentials;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.WeChatApi.Credentials;

/// <summary>
/// The account's access token from <c>/cgi-bin/stable_token</c> in normal mode: while a token is
/// valid every caller gets the same one, so no refresh here can invalidate a token another
/// process still uses. <c>force_refresh</c> is never sent (it kills the token for everyone).
/// This is the only code that sends the AppSecret for a global token.
/// </summary>
public sealed class AccessTokenProvider : IAccessTokenProvider
{
    public const string StableTokenPath = "cgi-bin/stable_token";

    private readonly IHttpClientFactory _httpClients;
    private readonly IOptions<WeChatOptions> _options;
    private readonly SharedCredentialCache _cache;

    public AccessTokenProvider(
        IHttpClientFactory httpClients,
        IOptions<WeChatOptions> options,
        IDbContextFactory<WeChatDbContext> databases,
        IDatabaseErrors databaseErrors,
        IDatabaseWriteGate writeGate,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        _httpClients = httpClients;
        _options = options;
        _cache = new SharedCredentialCache(CredentialKind.AccessToken, databases, databaseErrors, writeGate, time,
            TimeSpan.FromSeconds(options.Value.TokenRefreshMarginSeconds), loggers.CreateLogger<AccessTokenProvider>());
    }

    public SharedCredentialCache Cache => _cache;

    public Task<AccessTokenLease> GetAsync(string appId, CancellationToken cancellationToken) =>
        _cache.GetAsync(appId, ct => FetchStableTokenAsync(appId, ct), cancellationToken);

    public Task InvalidateAsync(string appId, long failedVersion, CancellationToken cancellationToken) =>
        _cache.InvalidateAsync(appId, failedVersion, cancellationToken);

    private async Task<IssuedCredential> FetchStableTokenAsync(string appId, CancellationToken cancellationToken)
    {
        var account = _options.Value.Accounts.FirstOrDefault(a => a.AppId == appId)
            ?? throw new CredentialUnavailableException(WeChatFailure.Configuration, 0, $"no account {appId} is configured");

        var body = new JsonObject
        {
            ["grant_type"] = "client_credential",
            ["appid"] = account.AppId,
            ["secret"] = account.AppSecret,
            ["force_refresh"] = false,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, StableTokenPath) { Content = WeChatContent.Json(body) };
        WeChatRequest.Describe(request, appId, idempotent: true);

        using var response = await _httpClients.CreateClient(WeChatApiRegistration.HttpClientName).SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var root = json.RootElement;
        var errorCode = root.TryGetProperty("errcode", out var code) ? code.GetInt32() : 0;
        if (errorCode != 0 || !root.TryGetProperty("access_token", out var token))
        {
            var message = root.TryGetProperty("errmsg", out var errmsg) ? errmsg.GetString() : null;
            var failure = errorCode is WeChatErrorCodes.InvalidCredential ? WeChatFailure.Configuration : WeChatErrorCodes.Classify(errorCode);
            throw new CredentialUnavailableException(failure, errorCode, message);
        }

        return new IssuedCredential(token.GetString()!, root.GetProperty("expires_in").GetInt32());
    }
}
