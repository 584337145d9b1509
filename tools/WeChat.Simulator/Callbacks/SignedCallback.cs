using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using WeChat.Infrastructure.Protocol;

namespace WeChat.Simulator.Callbacks;

/// <summary>How the account is set up in the console's server configuration.</summary>
public enum CallbackMode
{
    /// <summary>明文模式: the body is the XML; only the URL is signed.</summary>
    Plaintext,

    /// <summary>兼容模式: plaintext fields plus <c>Encrypt</c> in one document.</summary>
    Compatible,

    /// <summary>安全模式: only <c>ToUserName</c> and <c>Encrypt</c>.</summary>
    Safe,
}

/// <summary>The secrets a callback is signed and encrypted with: the console's server configuration.</summary>
public sealed record CallbackCredentials(string AppId, string Token, string? EncodingAesKey);

/// <summary>A callback as WeChat would send it: the query string (without '?') and the body.</summary>
public sealed record SignedCallback(string Query, string Body, string Timestamp, string Nonce)
{
    /// <summary>
    /// Signs (and in compatible/safe mode encrypts) <paramref name="xml"/> exactly as WeChat does
    /// (protocol §2.1, §5.3): <c>signature</c> over token/timestamp/nonce always, plus
    /// <c>encrypt_type=aes</c> and <c>msg_signature</c> over the ciphertext when encrypted.
    /// </summary>
    public static SignedCallback Create(CallbackCredentials account, XElement xml, CallbackMode mode, long timestamp, string? nonce = null)
    {
        var timestampText = timestamp.ToString(CultureInfo.InvariantCulture);
        nonce ??= RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        var openId = xml.Element("FromUserName")?.Value ?? string.Empty;
        var signature = WeChatSignature.Compute(account.Token, timestampText, nonce);
        var query = $"signature={signature}&timestamp={timestampText}&nonce={nonce}&openid={Uri.EscapeDataString(openId)}";
        var plain = Serialize(xml);

        if (mode == CallbackMode.Plaintext)
        {
            return new SignedCallback(query, plain, timestampText, nonce);
        }

        var crypto = new WeChatMessageCrypto(
            account.EncodingAesKey ?? throw new InvalidOperationException($"Account {account.AppId} has no EncodingAESKey for {mode} mode."),
            account.AppId);
        var encrypted = crypto.Encrypt(plain);
        var msgSignature = WeChatSignature.Compute(account.Token, timestampText, nonce, encrypted);
        var body = mode == CallbackMode.Compatible
            ? new XElement(xml.Name, xml.Elements(), new XElement("Encrypt", new XCData(encrypted)))
            : new XElement("xml", new XElement("ToUserName", new XCData(xml.Element("ToUserName")?.Value ?? string.Empty)), new XElement("Encrypt", new XCData(encrypted)));

        return new SignedCallback(
            $"{query}&encrypt_type=aes&msg_signature={msgSignature}",
            Serialize(body),
            timestampText,
            nonce);
    }

    /// <summary>
    /// Writes the XML as WeChat does, including characters XML 1.0 forbids: followers type them and
    /// WeChat forwards them raw, which is exactly what the receiving side must cope with.
    /// </summary>
    public static string Serialize(XElement xml)
    {
        var output = new StringBuilder();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { OmitXmlDeclaration = true, CheckCharacters = false }))
        {
            xml.WriteTo(writer);
        }

        return output.ToString();
    }

    /// <summary>The URL-verification GET the console sends when the server URL is saved.</summary>
    public static string VerificationQuery(CallbackCredentials account, long timestamp, string echostr, string? nonce = null)
    {
        var timestampText = timestamp.ToString(CultureInfo.InvariantCulture);
        nonce ??= RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        return $"signature={WeChatSignature.Compute(account.Token, timestampText, nonce)}&timestamp={timestampText}&nonce={nonce}&echostr={echostr}";
    }
}
