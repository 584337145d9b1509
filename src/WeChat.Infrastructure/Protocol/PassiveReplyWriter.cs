using System.Globalization;
using System.Text;
using System.Xml;
using WeChat.Domain.Replies;

namespace WeChat.Infrastructure.Protocol;

/// <summary>
/// Builds passive reply XML (protocol §4) with <see cref="XmlWriter"/>: never by concatenation, so a
/// <c>]]&gt;</c> in user-controlled text is split into two CDATA sections instead of breaking the
/// envelope, and characters XML forbids are removed first (the writer would throw on them).
/// </summary>
public static class PassiveReplyWriter
{
    private static readonly XmlWriterSettings Settings = new()
    {
        OmitXmlDeclaration = true,
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        NewLineHandling = NewLineHandling.None,
    };

    /// <summary>
    /// The reply to one inbound push: addresses swapped (reply <c>ToUserName</c> = the follower,
    /// <c>FromUserName</c> = the account's <c>gh_</c> id).
    /// </summary>
    /// <exception cref="NotSupportedException">The content type cannot be a passive reply (msgmenu, mpnews, Mini Program card).</exception>
    public static string Write(string toFollower, string fromAccount, long createTime, ReplyContent content) =>
        WriteEnvelope(toFollower, fromAccount, createTime, content.MsgType, writer => WriteBody(writer, content));

    /// <summary>Hands this message to the customer-service system, optionally to one agent.</summary>
    public static string WriteTransferToCustomerService(string toFollower, string fromAccount, long createTime, string? kfAccount = null) =>
        WriteEnvelope(toFollower, fromAccount, createTime, "transfer_customer_service", writer =>
        {
            if (!string.IsNullOrEmpty(kfAccount))
            {
                writer.WriteStartElement("TransInfo");
                Cdata(writer, "KfAccount", kfAccount);
                writer.WriteEndElement();
            }
        });

    /// <summary>Wraps reply XML for safe mode: encrypted, signed with the account token.</summary>
    public static string WriteEncrypted(string replyXml, WeChatMessageCrypto crypto, string token, string timestamp, string nonce)
    {
        var encrypted = crypto.Encrypt(replyXml);
        var signature = WeChatSignature.Compute(token, timestamp, nonce, encrypted);
        return Document(writer =>
        {
            Cdata(writer, "Encrypt", encrypted);
            Cdata(writer, "MsgSignature", signature);
            writer.WriteElementString("TimeStamp", timestamp);
            Cdata(writer, "Nonce", nonce);
        });
    }

    private static string WriteEnvelope(string toFollower, string fromAccount, long createTime, string msgType, Action<XmlWriter> body) =>
        Document(writer =>
        {
            Cdata(writer, "ToUserName", toFollower);
            Cdata(writer, "FromUserName", fromAccount);
            writer.WriteElementString("CreateTime", createTime.ToString(CultureInfo.InvariantCulture));
            Cdata(writer, "MsgType", msgType);
            body(writer);
        });

    private static void WriteBody(XmlWriter writer, ReplyContent content)
    {
        switch (content)
        {
            case TextReply text:
                Cdata(writer, "Content", text.Content);
                break;
            case ImageReply image:
                Wrapped(writer, "Image", () => Cdata(writer, "MediaId", image.MediaId));
                break;
            case VoiceReply voice:
                Wrapped(writer, "Voice", () => Cdata(writer, "MediaId", voice.MediaId));
                break;
            case VideoReply video:
                Wrapped(writer, "Video", () =>
                {
                    Cdata(writer, "MediaId", video.MediaId);
                    OptionalCdata(writer, "Title", video.Title);
                    OptionalCdata(writer, "Description", video.Description);
                });
                break;
            case MusicReply music:
                Wrapped(writer, "Music", () =>
                {
                    OptionalCdata(writer, "Title", music.Title);
                    OptionalCdata(writer, "Description", music.Description);
                    OptionalCdata(writer, "MusicUrl", music.MusicUrl);
                    OptionalCdata(writer, "HQMusicUrl", music.HqMusicUrl);
                    Cdata(writer, "ThumbMediaId", music.ThumbMediaId);
                });
                break;
            case NewsReply news:
                writer.WriteElementString("ArticleCount", news.Articles.Count.ToString(CultureInfo.InvariantCulture));
                Wrapped(writer, "Articles", () =>
                {
                    foreach (var article in news.Articles)
                    {
                        Wrapped(writer, "item", () =>
                        {
                            Cdata(writer, "Title", article.Title);
                            Cdata(writer, "Description", article.Description ?? string.Empty);
                            Cdata(writer, "PicUrl", article.PicUrl ?? string.Empty);
                            Cdata(writer, "Url", article.Url ?? string.Empty);
                        });
                    }
                });
                break;
            default:
                throw new NotSupportedException($"'{content.MsgType}' can only be sent as a customer-service message, not as a passive reply.");
        }
    }

    private static string Document(Action<XmlWriter> body)
    {
        var output = new StringBuilder(256);
        using (var writer = XmlWriter.Create(output, Settings))
        {
            writer.WriteStartElement("xml");
            body(writer);
            writer.WriteEndElement();
        }

        return output.ToString();
    }

    private static void Wrapped(XmlWriter writer, string name, Action body)
    {
        writer.WriteStartElement(name);
        body();
        writer.WriteEndElement();
    }

    private static void OptionalCdata(XmlWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            Cdata(writer, name, value);
        }
    }

    private static void Cdata(XmlWriter writer, string name, string value)
    {
        writer.WriteStartElement(name);
        writer.WriteCData(CallbackXml.StripInvalidCharacters(value));
        writer.WriteEndElement();
    }
}
