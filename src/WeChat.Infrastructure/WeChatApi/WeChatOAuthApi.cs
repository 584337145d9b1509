using System.Text.Json;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>The <c>/sns</c> endpoints of web authorization (protocol §10.1).</summary>
public sealed class WeChatOAuthApi(WeChatApiClient client, IOptions<WeChatOptions> options) : IWeChatOAuthApi
{
    public Task<WeChatResult<OAuthAccessToken>> ExchangeCodeAsync(string appId, string code, CancellationToken cancellationToken)
    {
        if (Secret(appId) is not { } secret)
        {
            return Task.FromResult(WeChatResult.Fail<OAuthAccessToken>(WeChatFailure.Configuration, 0, $"no account {appId} is configured"));
        }

        // A code is single-use: a repeat after a lost answer would only earn 40163, so no retry after the request may have left.
        var uri = $"sns/oauth2/access_token?appid={Uri.EscapeDataString(appId)}&secret={Uri.EscapeDataString(secret)}&code={Uri.EscapeDataString(code)}&grant_type=authorization_code";
        return client.CallWithoutTokenAsync(appId, "sns/oauth2/access_token", idempotent: false,
            new HttpRequestMessage(HttpMethod.Get, uri), ReadToken, cancellationToken);
    }

    public Task<WeChatResult<OAuthAccessToken>> RefreshAsync(string appId, string refreshToken, CancellationToken cancellationToken)
    {
        var uri = $"sns/oauth2/refresh_token?appid={Uri.EscapeDataString(appId)}&grant_type=refresh_token&refresh_token={Uri.EscapeDataString(refreshToken)}";
        return client.CallWithoutTokenAsync(appId, "sns/oauth2/refresh_token", idempotent: true,
            new HttpRequestMessage(HttpMethod.Get, uri), ReadToken, cancellationToken);
    }

    public Task<WeChatResult<OAuthUserInfo>> GetUserInfoAsync(string appId, string accessToken, string openId, CancellationToken cancellationToken)
    {
        var uri = $"sns/userinfo?access_token={Uri.EscapeDataString(accessToken)}&openid={Uri.EscapeDataString(openId)}&lang=zh_CN";
        return client.CallWithoutTokenAsync(appId, "sns/userinfo", idempotent: true,
            new HttpRequestMessage(HttpMethod.Get, uri),
            root => new OAuthUserInfo(
                root.GetProperty("openid").GetString()!,
                WeChatCustomerServiceApi.Text(root, "nickname"),
                WeChatCustomerServiceApi.Text(root, "headimgurl"),
                WeChatCustomerServiceApi.Text(root, "unionid")),
            cancellationToken);
    }

    private string? Secret(string appId) => options.Value.Accounts.FirstOrDefault(a => a.AppId == appId)?.AppSecret;

    private static OAuthAccessToken ReadToken(JsonElement root) => new(
        root.GetProperty("access_token").GetString()!,
        root.TryGetProperty("expires_in", out var expires) ? expires.GetInt32() : 7200,
        WeChatCustomerServiceApi.Text(root, "refresh_token") ?? string.Empty,
        root.GetProperty("openid").GetString()!,
        WeChatCustomerServiceApi.Text(root, "scope") ?? string.Empty,
        WeChatCustomerServiceApi.Text(root, "unionid"),
        root.TryGetProperty("is_snapshotuser", out var snapshot) && snapshot.ValueKind == JsonValueKind.Number && snapshot.GetInt32() == 1);
}
