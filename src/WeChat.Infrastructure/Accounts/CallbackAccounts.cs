using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;
using WeChat.Infrastructure.Protocol;

namespace WeChat.Infrastructure.Accounts;

/// <summary>What the callback endpoint needs to authenticate and decrypt one account's pushes.</summary>
public sealed record CallbackAccount(string AppId, string Token, bool RequireEncryption, WeChatMessageCrypto? Crypto);

/// <summary>The configured accounts, keyed by AppId, with their AES keys decoded once at start-up.</summary>
public sealed class CallbackAccounts
{
    private readonly Dictionary<string, CallbackAccount> _byAppId;

    public CallbackAccounts(IOptions<WeChatOptions> options)
    {
        _byAppId = options.Value.Accounts.ToDictionary(
            account => account.AppId,
            account => new CallbackAccount(
                account.AppId,
                account.Token,
                account.RequireEncryption,
                string.IsNullOrEmpty(account.EncodingAESKey) ? null : new WeChatMessageCrypto(account.EncodingAESKey, account.AppId)),
            StringComparer.Ordinal);
    }

    public bool TryGet(string appId, [NotNullWhen(true)] out CallbackAccount? account) => _byAppId.TryGetValue(appId, out account);
}
