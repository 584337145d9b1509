using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Configuration;
using WeChat.Domain.Credentials;
using WeChat.Infrastructure.Persistence;
using WeChat.Infrastructure.WeChatApi.Credentials;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>
/// <c>wx.config</c> parameters (protocol §10.2). The jsapi_ticket has a small quota, so it is cached
/// and shared exactly like the access token.
/// </summary>
public sealed class JsSdkSigner : IJsSdkSigner
{
    private const string NonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly WeChatApiClient _client;
    private readonly TimeProvider _time;
    private readonly SharedCredentialCache _tickets;

    public JsSdkSigner(
        WeChatApiClient client,
        IDbContextFactory<WeChatDbContext> databases,
        IDatabaseErrors databaseErrors,
        IDatabaseWriteGate writeGate,
        TimeProvider time,
        IOptions<WeChatOptions> options,
        ILogger<JsSdkSigner> logger)
    {
        _client = client;
        _time = time;
        _tickets = new SharedCredentialCache(CredentialKind.JsApiTicket, databases, databaseErrors, writeGate, time,
            TimeSpan.FromSeconds(options.Value.TokenRefreshMarginSeconds), logger);
    }

    public async Task<WeChatResult<JsSdkConfig>> SignAsync(string appId, string url, CancellationToken cancellationToken)
    {
        AccessTokenLease ticket;
        try
        {
            ticket = await _tickets.GetAsync(appId, ct => FetchTicketAsync(appId, ct), cancellationToken);
        }
        catch (CredentialUnavailableException ex)
        {
            return WeChatResult.Fail<JsSdkConfig>(ex.Failure, ex.ErrorCode, ex.ErrorMessage, WeChatErrorCodes.ExtractRid(ex.ErrorMessage));
        }

        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        var nonce = RandomNumberGenerator.GetString(NonceAlphabet, 16);
        return WeChatResult.Success(new JsSdkConfig(appId, timestamp, nonce, Sign(ticket.Value, nonce, timestamp, url)));
    }

    /// <summary>
    /// sha1("jsapi_ticket=…&amp;noncestr=…&amp;timestamp=…&amp;url=…"): keys in ASCII order, no URL escaping,
    /// the page URL without its #fragment.
    /// </summary>
    public static string Sign(string ticket, string nonceStr, long timestamp, string url)
    {
        var hash = url.IndexOf('#', StringComparison.Ordinal);
        var pageUrl = hash >= 0 ? url[..hash] : url;
        var plain = string.Create(CultureInfo.InvariantCulture, $"jsapi_ticket={ticket}&noncestr={nonceStr}&timestamp={timestamp}&url={pageUrl}");
#pragma warning disable CA5350 // SHA-1 is what the JS-SDK specifies.
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(plain)));
#pragma warning restore CA5350
    }

    private async Task<IssuedCredential> FetchTicketAsync(string appId, CancellationToken cancellationToken)
    {
        var result = await _client.CallAsync(appId, "ticket/getticket", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("cgi-bin/ticket/getticket", token, "type=jsapi")),
            root => new IssuedCredential(root.GetProperty("ticket").GetString()!, root.GetProperty("expires_in").GetInt32()),
            cancellationToken);
        return result.Succeeded
            ? result.Value!
            : throw new CredentialUnavailableException(result.Failure, result.ErrorCode, result.ErrorMessage);
    }
}
