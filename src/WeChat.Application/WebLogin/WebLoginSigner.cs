using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.Application.WebLogin;

/// <summary>Who a signed identity token says logged in.</summary>
public sealed record WebIdentity(string AppId, string OpenId, DateTimeOffset ExpiresAt);

/// <summary>
/// Signs what web login hands around: the OAuth <c>state</c> (CSRF protection; WeChat allows at most
/// 128 letters and digits, so it is scope + expiry + nonce + a truncated HMAC over those and the
/// returnUrl) and the short-lived identity token given to the returnUrl. HMAC-SHA256 with
/// <c>OAuth:SigningKey</c>, or a per-account key derived from the AppSecret.
/// </summary>
public sealed class WebLoginSigner(IOptions<OAuthOptions> oauth, IOptions<WeChatOptions> wechat, TimeProvider time)
{
    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int MacHexLength = 32;

    public string CreateState(string appId, string scope, string returnUrl)
    {
        var scopeCode = scope == WebLoginScopes.UserInfo ? 'u' : 'b';
        var expires = time.GetUtcNow().AddSeconds(oauth.Value.StateLifetimeSeconds).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetString(Alphanumeric, 16);
        var body = $"{scopeCode}{expires}{nonce}";
        return body + Mac(appId, $"state|{appId}|{body}|{returnUrl}")[..MacHexLength];
    }

    /// <summary>The scope the state was made for, or null if it is forged, altered, for another returnUrl or expired.</summary>
    public string? VerifyState(string appId, string? state, string returnUrl)
    {
        if (state is not { Length: 1 + 10 + 16 + MacHexLength } || !state.All(char.IsAsciiLetterOrDigit))
        {
            return null;
        }

        var body = state[..^MacHexLength];
        var expected = Mac(appId, $"state|{appId}|{body}|{returnUrl}")[..MacHexLength];
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(state[^MacHexLength..]))
            || !long.TryParse(body.AsSpan(1, 10), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            return null;
        }

        return body[0] == 'u' ? WebLoginScopes.UserInfo : WebLoginScopes.Base;
    }

    public string CreateIdentityToken(string appId, string openId)
    {
        var expires = time.GetUtcNow().AddSeconds(oauth.Value.IdentityTokenLifetimeSeconds).ToUnixTimeSeconds();
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new IdentityPayload(appId, openId, expires)));
        return $"{payload}.{Base64Url(Convert.FromHexString(Mac(appId, "identity|" + payload)))}";
    }

    public WebIdentity? VerifyIdentityToken(string? token)
    {
        var dot = token?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (token is null || dot <= 0)
        {
            return null;
        }

        IdentityPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<IdentityPayload>(Convert.FromBase64String(FromBase64Url(token[..dot])));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }

        if (payload is null || wechat.Value.Accounts.All(a => a.AppId != payload.A))
        {
            return null;
        }

        var expected = Base64Url(Convert.FromHexString(Mac(payload.A, "identity|" + token[..dot])));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(token[(dot + 1)..]))
            && time.GetUtcNow().ToUnixTimeSeconds() <= payload.E
                ? new WebIdentity(payload.A, payload.O, DateTimeOffset.FromUnixTimeSeconds(payload.E))
                : null;
    }

    private string Mac(string appId, string text) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Key(appId), Encoding.UTF8.GetBytes(text)));

    private byte[] Key(string appId)
    {
        if (!string.IsNullOrEmpty(oauth.Value.SigningKey))
        {
            return Encoding.UTF8.GetBytes(oauth.Value.SigningKey);
        }

        var secret = wechat.Value.Accounts.FirstOrDefault(a => a.AppId == appId)?.AppSecret
            ?? throw new InvalidOperationException($"No account {appId} is configured.");
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes("wechat-platform/web-login"), Encoding.UTF8.GetBytes(secret));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
    }

    private sealed record IdentityPayload(string A, string O, long E);
}

public static class WebLoginScopes
{
    public const string Base = "snsapi_base";
    public const string UserInfo = "snsapi_userinfo";
}
