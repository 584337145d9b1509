using System.Globalization;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;
using WeChat.Application.Contracts;
using WeChat.Infrastructure.Accounts;
using WeChat.Infrastructure.Protocol;

namespace WeChat.Api.Callback;

/// <summary>Either a callback that passed every check, or the reason it was refused.</summary>
public readonly record struct CallbackVerdict(CallbackRejection? Rejection, InboundMessageReceived? Accepted)
{
    public static CallbackVerdict Reject(CallbackRejection rejection) => new(rejection, null);
}

/// <summary>
/// Authenticates and decodes callbacks: account lookup, timestamp tolerance, signature or
/// msg_signature (ordinal sort, constant-time compare), decryption with the AppId check, safe XML
/// parsing. Pure and synchronous, so the HTTP endpoint stays a thin mapping to status codes.
/// </summary>
public sealed class CallbackProcessor(CallbackAccounts accounts, IOptions<WeChatOptions> options, TimeProvider time)
{
    private readonly long _toleranceSeconds = options.Value.TimestampToleranceSeconds;

    /// <summary>The GET that the console sends when the server URL is saved.</summary>
    public CallbackRejection? VerifyUrl(string appId, CallbackQuery query)
    {
        if (!accounts.TryGet(appId, out var account))
        {
            return CallbackRejection.UnknownAppId;
        }

        return CheckUrlSignature(account, query, query.Signature)
            ?? (query.Echostr is null ? CallbackRejection.MissingEchostr : null);
    }

    /// <summary>Checks the query before the body is read, so a bad request costs nothing more.</summary>
    public CallbackRejection? PreCheck(string appId, CallbackQuery query, out CallbackAccount? account)
    {
        if (!accounts.TryGet(appId, out account))
        {
            return CallbackRejection.UnknownAppId;
        }

        if (!query.IsEncrypted)
        {
            return account.RequireEncryption
                ? CallbackRejection.PlaintextNotAllowed
                : CheckUrlSignature(account, query, query.Signature);
        }

        if (account.Crypto is null)
        {
            return CallbackRejection.EncryptionNotConfigured;
        }

        return string.IsNullOrEmpty(query.MsgSignature) || string.IsNullOrEmpty(query.Timestamp) || string.IsNullOrEmpty(query.Nonce)
            ? CallbackRejection.MissingSignature
            : CheckTimestamp(query.Timestamp);
    }

    /// <summary>Decrypts (in compatible/safe mode) and parses a body whose query passed <see cref="PreCheck"/>.</summary>
    public CallbackVerdict Decode(CallbackAccount account, CallbackQuery query, string body)
    {
        string xml;
        if (query.IsEncrypted)
        {
            string encrypted;
            try
            {
                encrypted = CallbackXml.ReadEncrypt(CallbackXml.Load(body));
            }
            catch (InboundXmlException)
            {
                return CallbackVerdict.Reject(CallbackRejection.MalformedXml);
            }

            if (!WeChatSignature.Matches(query.MsgSignature, account.Token, query.Timestamp!, query.Nonce!, encrypted))
            {
                return CallbackVerdict.Reject(CallbackRejection.InvalidSignature);
            }

            try
            {
                xml = account.Crypto!.Decrypt(encrypted);
            }
            catch (WeChatCryptoException ex)
            {
                return CallbackVerdict.Reject(ex.Failure == CryptoFailure.AppIdMismatch
                    ? CallbackRejection.CiphertextForAnotherAppId
                    : CallbackRejection.MalformedCiphertext);
            }
        }
        else
        {
            xml = body;
        }

        try
        {
            var message = InboundMessageParser.Parse(xml);
            return new CallbackVerdict(null, new InboundMessageReceived(
                account.AppId, message.DeduplicationKey, message, xml, time.GetUtcNow()));
        }
        catch (InboundXmlException)
        {
            return CallbackVerdict.Reject(CallbackRejection.MalformedXml);
        }
    }

    private CallbackRejection? CheckUrlSignature(CallbackAccount account, CallbackQuery query, string? signature)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(query.Timestamp) || string.IsNullOrEmpty(query.Nonce))
        {
            return CallbackRejection.MissingSignature;
        }

        return CheckTimestamp(query.Timestamp)
            ?? (WeChatSignature.Matches(signature, account.Token, query.Timestamp, query.Nonce) ? null : CallbackRejection.InvalidSignature);
    }

    private CallbackRejection? CheckTimestamp(string timestamp)
    {
        if (_toleranceSeconds == 0)
        {
            return null;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return CallbackRejection.TimestampOutOfTolerance;
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        return Math.Abs(now - seconds) > _toleranceSeconds ? CallbackRejection.TimestampOutOfTolerance : null;
    }
}
