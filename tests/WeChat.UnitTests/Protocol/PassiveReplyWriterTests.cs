using System.Xml.Linq;
using WeChat.Domain.Replies;
using WeChat.Infrastructure.Protocol;

namespace WeChat.UnitTests.Protocol;

public sealed class PassiveReplyWriterTests
{
    private const string Follower = "o9AgO5Kd5ggOC-bXrbNODIiE3bGY";
    private const string Account = "gh_97417a04a28d";

    [Fact]
    public void Text_reply_swaps_addresses_and_wraps_strings_in_cdata()
    {
        var xml = PassiveReplyWriter.Write(Follower, Account, 1714112446, new TextReply("Hello\n你好"));

        Assert.Equal(
            "<xml><ToUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></ToUserName><FromUserName><![CDATA[gh_97417a04a28d]]></FromUserName>" +
            "<CreateTime>1714112446</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[Hello\n你好]]></Content></xml>",
            xml);
    }

    [Fact]
    public void Cdata_terminator_in_content_cannot_break_the_envelope()
    {
        const string hostile = "]]><MsgType>image</MsgType><![CDATA[";

        var xml = PassiveReplyWriter.Write(Follower, Account, 1, new TextReply(hostile));
        var root = XElement.Parse(xml);

        Assert.Equal(hostile, root.Element("Content")!.Value);
        Assert.Equal("text", root.Element("MsgType")!.Value);
        Assert.Single(root.Elements("MsgType"));
    }

    [Fact]
    public void Control_characters_are_removed_instead_of_throwing()
    {
        var xml = PassiveReplyWriter.Write(Follower, Account, 1, new TextReply("a\u0000b\u0010c"));

        Assert.Equal("abc", XElement.Parse(xml).Element("Content")!.Value);
    }

    [Fact]
    public void Media_music_and_news_replies_have_the_documented_shape()
    {
        Assert.Equal("m1", XElement.Parse(PassiveReplyWriter.Write(Follower, Account, 1, new ImageReply("m1"))).Element("Image")!.Element("MediaId")!.Value);
        Assert.Equal("v1", XElement.Parse(PassiveReplyWriter.Write(Follower, Account, 1, new VoiceReply("v1"))).Element("Voice")!.Element("MediaId")!.Value);

        var video = XElement.Parse(PassiveReplyWriter.Write(Follower, Account, 1, new VideoReply("vid", Title: "t"))).Element("Video")!;
        Assert.Equal(("vid", "t"), (video.Element("MediaId")!.Value, video.Element("Title")!.Value));
        Assert.Null(video.Element("Description"));

        var music = XElement.Parse(PassiveReplyWriter.Write(Follower, Account, 1, new MusicReply("thumb", "歌", MusicUrl: "http://m"))).Element("Music")!;
        Assert.Equal(("thumb", "歌", "http://m"), (music.Element("ThumbMediaId")!.Value, music.Element("Title")!.Value, music.Element("MusicUrl")!.Value));

        var news = XElement.Parse(PassiveReplyWriter.Write(Follower, Account, 1,
            new NewsReply([new NewsArticle("标题", "描述", "https://example.com", "https://example.com/p.png")])));
        Assert.Equal("1", news.Element("ArticleCount")!.Value);
        Assert.Equal("标题", news.Element("Articles")!.Element("item")!.Element("Title")!.Value);
    }

    [Fact]
    public void Transfer_to_customer_service_can_target_one_agent()
    {
        var any = XElement.Parse(PassiveReplyWriter.WriteTransferToCustomerService(Follower, Account, 1));
        var pinned = XElement.Parse(PassiveReplyWriter.WriteTransferToCustomerService(Follower, Account, 1, "test1@test"));

        Assert.Equal("transfer_customer_service", any.Element("MsgType")!.Value);
        Assert.Null(any.Element("TransInfo"));
        Assert.Equal("test1@test", pinned.Element("TransInfo")!.Element("KfAccount")!.Value);
    }

    [Fact]
    public void Customer_service_only_content_is_not_a_passive_reply()
    {
        Assert.Throws<NotSupportedException>(() =>
            PassiveReplyWriter.Write(Follower, Account, 1, new MessageMenuReply("head", [new MessageMenuItem("1", "yes")], "tail")));
    }

    [Fact]
    public void Encrypted_reply_is_signed_and_decrypts_to_the_plain_reply()
    {
        var crypto = new WeChatMessageCrypto(ProtocolVectors.V3EncodingAesKey, ProtocolVectors.V3AppId);
        var plain = PassiveReplyWriter.Write(Follower, Account, 1411525903, new TextReply("test"));

        var envelope = XElement.Parse(PassiveReplyWriter.WriteEncrypted(plain, crypto, ProtocolVectors.V3Token, "1411525903", "461056294"));
        var encrypted = envelope.Element("Encrypt")!.Value;

        Assert.True(WeChatSignature.Matches(envelope.Element("MsgSignature")!.Value, ProtocolVectors.V3Token, "1411525903", "461056294", encrypted));
        Assert.Equal("1411525903", envelope.Element("TimeStamp")!.Value);
        Assert.Equal("461056294", envelope.Element("Nonce")!.Value);
        Assert.Equal(plain, crypto.Decrypt(encrypted));
    }
}
