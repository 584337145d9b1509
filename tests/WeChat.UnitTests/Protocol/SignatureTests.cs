using WeChat.Infrastructure.Protocol;

namespace WeChat.UnitTests.Protocol;

/// <summary>Vectors V3–V6 of the protocol doc §5.5 and the ordinal-sort pitfall of §5.4.</summary>
public sealed class SignatureTests
{
    [Theory]
    [InlineData("weixin", "1357982061", "1358161344", "335b26997f05c82243aad6b10a2d1853637e71a8")]
    [InlineData("huhujm", "1359208540", "1359227084", "efa917e2445cc9f0aa4386ca92f96de5a242e24e")]
    public void Plain_signature_matches_senparc_real_traffic_vectors_V5(string token, string timestamp, string nonce, string expected)
    {
        Assert.Equal(expected, WeChatSignature.Compute(token, timestamp, nonce));
        Assert.True(WeChatSignature.Matches(expected, token, timestamp, nonce));
    }

    [Fact]
    public void Four_part_signature_matches_wechat_crypto_vector_V6()
    {
        Assert.Equal("8edac0945683c119ee71c9f6256d76c48aa08a96",
            WeChatSignature.Compute("RMNlACHlV5ThzfRlVS4D4", "timestamp", "nonce", "encrypt"));
    }

    [Fact]
    public void Msg_signature_matches_wechatpy_vector_V3()
    {
        Assert.True(WeChatSignature.Matches("74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
            ProtocolVectors.V3Token, "1411525903", "461056294", ProtocolVectors.V3InboundEncrypt));
        Assert.Equal("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
            WeChatSignature.Compute(ProtocolVectors.V3Token, "1411443780", "437374425", ProtocolVectors.V3Echostr));
    }

    [Fact]
    public void Msg_signature_matches_wecom_official_vector_V4()
    {
        Assert.True(WeChatSignature.Matches("477715d11cdb4164915debcba66cb864d751f3e6",
            ProtocolVectors.V4Token, "1409659813", "1372623149", ProtocolVectors.V4InboundEncrypt));
        Assert.True(WeChatSignature.Matches("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
            ProtocolVectors.V4Token, "1409659589", "263014780", ProtocolVectors.V4Echostr));
    }

    [Fact]
    public void Parts_are_sorted_ordinally_not_by_culture()
    {
        // Culture-aware sorting puts "apple2" first; WeChat (and Tencent's own C# sample) put "Zebra1" first.
        var ordinal = Sha1Hex("Zebra1" + "apple2");
        var cultural = Sha1Hex("apple2" + "Zebra1");

        Assert.Equal(ordinal, WeChatSignature.Compute("apple2", "Zebra1"));
        Assert.NotEqual(cultural, WeChatSignature.Compute("apple2", "Zebra1"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("335b26997f05c82243aad6b10a2d1853637e71a")]
    [InlineData("335b26997f05c82243aad6b10a2d1853637e71a8ff")]
    [InlineData("zz5b26997f05c82243aad6b10a2d1853637e71a8")]
    [InlineData("335b26997f05c82243aad6b10a2d1853637e71a9")]
    public void Wrong_or_malformed_signatures_do_not_match(string? received)
    {
        Assert.False(WeChatSignature.Matches(received, "weixin", "1357982061", "1358161344"));
    }

    [Fact]
    public void Upper_case_hex_is_accepted()
    {
        Assert.True(WeChatSignature.Matches("335B26997F05C82243AAD6B10A2D1853637E71A8", "weixin", "1357982061", "1358161344"));
    }

    private static string Sha1Hex(string text) =>
#pragma warning disable CA5350 // the protocol's algorithm
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5350
}
