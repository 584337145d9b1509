using System.Security.Cryptography;
using System.Text;
using WeChat.Domain.Messages;
using WeChat.Infrastructure.Protocol;

namespace WeChat.UnitTests.Protocol;

public sealed class CryptoTests
{
    private static readonly WeChatMessageCrypto V3 = new(ProtocolVectors.V3EncodingAesKey, ProtocolVectors.V3AppId);
    private static readonly WeChatMessageCrypto V4 = new(ProtocolVectors.V4EncodingAesKey, ProtocolVectors.V4CorpId);

    [Fact]
    public void V3_inbound_message_decrypts_to_the_documented_text_message()
    {
        var xml = V3.Decrypt(ProtocolVectors.V3InboundEncrypt);

        var message = Assert.IsType<TextMessage>(InboundMessageParser.Parse(xml));
        Assert.Equal("messense", message.FromUserName);
        Assert.Equal("test", message.Content);
        Assert.Equal(4363689963896700987, message.MsgId);
    }

    [Fact]
    public void V3_deterministic_encryption_reproduces_wechatpy_ciphertext_and_signature()
    {
        var encrypted = V3.Encrypt(ProtocolVectors.V3ReplyXml, Encoding.ASCII.GetBytes("1234567890123456"));

        Assert.Equal(ProtocolVectors.V3ReplyEncrypt, encrypted);
        Assert.Equal("407518b7649e86ef23978113f92d27afa9296533",
            WeChatSignature.Compute(ProtocolVectors.V3Token, "1411525903", "461056294", encrypted));
    }

    [Fact]
    public void V3_and_V4_echostr_decrypt_to_the_documented_plaintext()
    {
        Assert.Equal("5927782489442352469", V3.Decrypt(ProtocolVectors.V3Echostr));
        Assert.Equal("1616140317555161061", V4.Decrypt(ProtocolVectors.V4Echostr));
    }

    [Fact]
    public void V4_inbound_message_decrypts_to_hello_from_mycreate()
    {
        var message = Assert.IsType<TextMessage>(InboundMessageParser.Parse(V4.Decrypt(ProtocolVectors.V4InboundEncrypt)));

        Assert.Equal("mycreate", message.FromUserName);
        Assert.Equal("hello", message.Content);
        Assert.Equal(4561255354251345929, message.MsgId);
    }

    [Theory]
    [InlineData(17)]
    [InlineData(24)]
    [InlineData(32)]
    public void Pads_of_17_to_32_bytes_round_trip(int expectedPad)
    {
        // FullStr = 16 random + 4 length + message + AppId; choose the message length so that the
        // 32-byte PKCS#7 pad is expectedPad bytes (PaddingMode.PKCS7 would reject pads over 16).
        var fixedPart = 16 + 4 + Encoding.UTF8.GetByteCount(ProtocolVectors.V3AppId);
        var messageLength = 32 * 4 - fixedPart - expectedPad;
        var message = new string('x', messageLength);

        var encrypted = V3.Encrypt(message);

        Assert.Equal(expectedPad, LastPlaintextByte(encrypted));
        Assert.Equal(message, V3.Decrypt(encrypted));
    }

    [Fact]
    public void Message_length_counts_utf8_bytes_not_characters()
    {
        const string chinese = "<xml><Content><![CDATA[你好，世界]]></Content></xml>";

        Assert.Equal(chinese, V3.Decrypt(V3.Encrypt(chinese)));
    }

    [Fact]
    public void Surrounding_whitespace_around_encrypt_is_ignored()
    {
        Assert.Equal("5927782489442352469", V3.Decrypt("  " + ProtocolVectors.V3Echostr + "\n"));
    }

    [Fact]
    public void Tampered_ciphertext_is_rejected()
    {
        var bytes = Convert.FromBase64String(V3.Encrypt("<xml><Content>hi</Content></xml>"));
        bytes[^1] ^= 0x5A;

        var ex = Assert.Throws<WeChatCryptoException>(() => V3.Decrypt(Convert.ToBase64String(bytes)));
        Assert.Contains(ex.Failure, new[] { CryptoFailure.InvalidPadding, CryptoFailure.AppIdMismatch, CryptoFailure.InvalidLength });
    }

    [Fact]
    public void Tampered_first_block_breaks_the_length_or_app_id()
    {
        var bytes = Convert.FromBase64String(V4.Encrypt(new string('a', 100)));
        bytes[0] ^= 0xFF; // CBC: garbles block 0 and flips bits in block 1, where the length field lives

        var ex = Assert.Throws<WeChatCryptoException>(() => V4.Decrypt(Convert.ToBase64String(bytes)));
        Assert.Contains(ex.Failure, new[] { CryptoFailure.InvalidLength, CryptoFailure.AppIdMismatch });
    }

    [Fact]
    public void Ciphertext_for_another_app_id_is_rejected()
    {
        var otherAccount = new WeChatMessageCrypto(ProtocolVectors.V3EncodingAesKey, "wxanotheraccount00");

        var ex = Assert.Throws<WeChatCryptoException>(() => otherAccount.Decrypt(ProtocolVectors.V3InboundEncrypt));
        Assert.Equal(CryptoFailure.AppIdMismatch, ex.Failure);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("abc")]
    public void Bad_base64_is_rejected(string encrypted)
    {
        var ex = Assert.Throws<WeChatCryptoException>(() => V3.Decrypt(encrypted));
        Assert.Equal(CryptoFailure.InvalidBase64, ex.Failure);
    }

    [Fact]
    public void Truncated_block_is_rejected()
    {
        var bytes = Convert.FromBase64String(ProtocolVectors.V3InboundEncrypt);

        var ex = Assert.Throws<WeChatCryptoException>(() => V3.Decrypt(Convert.ToBase64String(bytes.AsSpan(0, bytes.Length - 5))));
        Assert.Equal(CryptoFailure.InvalidBlockLength, ex.Failure);
    }

    [Fact]
    public void Empty_ciphertext_is_rejected()
    {
        Assert.Equal(CryptoFailure.InvalidBlockLength, Assert.Throws<WeChatCryptoException>(() => V3.Decrypt("")).Failure);
    }

    [Theory]
    [InlineData("tooshort")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF!")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH")]
    public void Invalid_encoding_aes_keys_are_refused(string key)
    {
        Assert.Throws<ArgumentException>(() => new WeChatMessageCrypto(key, "wx1"));
    }

    private static int LastPlaintextByte(string encrypted)
    {
        Assert.True(WeChat.Domain.Accounts.EncodingAesKey.TryDecode(ProtocolVectors.V3EncodingAesKey, out var key, out _));
        using var aes = Aes.Create();
        aes.Key = key;
        var plain = aes.DecryptCbc(Convert.FromBase64String(encrypted), key.AsSpan(0, 16), PaddingMode.None);
        return plain[^1];
    }
}
