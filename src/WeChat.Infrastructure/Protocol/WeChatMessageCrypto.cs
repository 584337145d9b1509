using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using WeChat.Domain.Accounts;

namespace WeChat.Infrastructure.Protocol;

/// <summary>Why a ciphertext was refused. Names follow Tencent's sample error codes where one exists.</summary>
public enum CryptoFailure
{
    /// <summary>Not Base64 (Tencent -40010).</summary>
    InvalidBase64,

    /// <summary>Not a whole number of AES blocks, or empty (Tencent -40007).</summary>
    InvalidBlockLength,

    /// <summary>Pad byte outside 1..32 or pad bytes that disagree (Tencent -40007).</summary>
    InvalidPadding,

    /// <summary>The length field points past the end of the plaintext (Tencent -40008).</summary>
    InvalidLength,

    /// <summary>The trailing receiver id is not this account's AppId (Tencent -40005).</summary>
    AppIdMismatch,

    /// <summary>The message bytes are not valid UTF-8.</summary>
    InvalidEncoding,
}

public sealed class WeChatCryptoException(CryptoFailure failure)
    : Exception($"WeChat ciphertext rejected: {failure}.")
{
    public CryptoFailure Failure { get; } = failure;
}

/// <summary>
/// The AES-256-CBC envelope of WeChat's safe and compatible modes (protocol §5): IV = first 16 bytes
/// of the key, PKCS#7 padding against a 32-byte block (so <see cref="PaddingMode.None"/> and manual
/// padding), plaintext = 16 random bytes + big-endian length + message + AppId.
/// </summary>
public sealed class WeChatMessageCrypto
{
    private const int RandomPrefixLength = 16;
    private const int LengthFieldLength = 4;
    private const int PaddingBlock = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _key;
    private readonly byte[] _iv;
    private readonly byte[] _appId;

    public WeChatMessageCrypto(string encodingAesKey, string appId)
    {
        if (!EncodingAesKey.TryDecode(encodingAesKey, out var key, out var error))
        {
            throw new ArgumentException(error, nameof(encodingAesKey));
        }

        _key = key;
        _iv = key[..16];
        _appId = Encoding.UTF8.GetBytes(appId);
    }

    /// <summary>Encrypts <paramref name="message"/> with a fresh random prefix; returns the Base64 <c>Encrypt</c> value.</summary>
    public string Encrypt(string message)
    {
        Span<byte> random = stackalloc byte[RandomPrefixLength];
        RandomNumberGenerator.Fill(random);
        return Encrypt(message, random);
    }

    /// <summary>Encrypts with a given 16-byte prefix: deterministic, for test vectors.</summary>
    public string Encrypt(string message, ReadOnlySpan<byte> randomPrefix)
    {
        if (randomPrefix.Length != RandomPrefixLength)
        {
            throw new ArgumentException("The random prefix must be 16 bytes.", nameof(randomPrefix));
        }

        var messageLength = Encoding.UTF8.GetByteCount(message);
        var unpadded = RandomPrefixLength + LengthFieldLength + messageLength + _appId.Length;
        var pad = PaddingBlock - (unpadded % PaddingBlock);
        var plain = new byte[unpadded + pad];

        randomPrefix.CopyTo(plain);
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(RandomPrefixLength), messageLength);
        Encoding.UTF8.GetBytes(message, plain.AsSpan(RandomPrefixLength + LengthFieldLength));
        _appId.CopyTo(plain.AsSpan(RandomPrefixLength + LengthFieldLength + messageLength));
        plain.AsSpan(unpadded).Fill((byte)pad);

        using var aes = CreateCipher();
        return Convert.ToBase64String(aes.EncryptCbc(plain, _iv, PaddingMode.None));
    }

    /// <summary>Decrypts a Base64 <c>Encrypt</c> value and checks the trailing AppId.</summary>
    /// <exception cref="WeChatCryptoException">The ciphertext is malformed or addressed to another account.</exception>
    public string Decrypt(string encrypted)
    {
        var trimmed = encrypted.AsSpan().Trim();
        var cipher = new byte[(trimmed.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(trimmed, cipher, out var cipherLength))
        {
            throw new WeChatCryptoException(CryptoFailure.InvalidBase64);
        }

        if (cipherLength == 0 || cipherLength % 16 != 0)
        {
            throw new WeChatCryptoException(CryptoFailure.InvalidBlockLength);
        }

        byte[] plain;
        using (var aes = CreateCipher())
        {
            plain = aes.DecryptCbc(cipher.AsSpan(0, cipherLength), _iv, PaddingMode.None);
        }

        int pad = plain[^1];
        if (pad is < 1 or > PaddingBlock || pad > plain.Length || plain.AsSpan(plain.Length - pad).ContainsAnyExcept((byte)pad))
        {
            throw new WeChatCryptoException(CryptoFailure.InvalidPadding);
        }

        var content = plain.AsSpan(0, plain.Length - pad);
        if (content.Length < RandomPrefixLength + LengthFieldLength)
        {
            throw new WeChatCryptoException(CryptoFailure.InvalidLength);
        }

        var messageLength = BinaryPrimitives.ReadInt32BigEndian(content.Slice(RandomPrefixLength, LengthFieldLength));
        var messageStart = RandomPrefixLength + LengthFieldLength;
        if (messageLength < 0 || messageLength > content.Length - messageStart)
        {
            throw new WeChatCryptoException(CryptoFailure.InvalidLength);
        }

        var receiverId = content[(messageStart + messageLength)..];
        if (!receiverId.SequenceEqual(_appId))
        {
            throw new WeChatCryptoException(CryptoFailure.AppIdMismatch);
        }

        try
        {
            return StrictUtf8.GetString(content.Slice(messageStart, messageLength));
        }
        catch (DecoderFallbackException)
        {
            throw new WeChatCryptoException(CryptoFailure.InvalidEncoding);
        }
    }

    // One cipher per call: Aes instances are not documented as thread-safe, and one account's
    // crypto object serves concurrent requests.
    private Aes CreateCipher()
    {
        var aes = Aes.Create();
        aes.Key = _key;
        return aes;
    }
}
