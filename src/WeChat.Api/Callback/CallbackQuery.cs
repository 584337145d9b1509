using Microsoft.AspNetCore.Mvc;

namespace WeChat.Api.Callback;

/// <summary>The query string WeChat puts on every callback (protocol §1, §2.1).</summary>
public readonly record struct CallbackQuery(
    [property: FromQuery(Name = "signature")] string? Signature,
    [property: FromQuery(Name = "timestamp")] string? Timestamp,
    [property: FromQuery(Name = "nonce")] string? Nonce,
    [property: FromQuery(Name = "echostr")] string? Echostr,
    [property: FromQuery(Name = "openid")] string? OpenId,
    [property: FromQuery(Name = "encrypt_type")] string? EncryptType,
    [property: FromQuery(Name = "msg_signature")] string? MsgSignature)
{
    /// <summary><c>encrypt_type=aes</c> (compatible or safe mode); absent or <c>raw</c> means plaintext.</summary>
    public bool IsEncrypted => string.Equals(EncryptType, "aes", StringComparison.OrdinalIgnoreCase);
}
