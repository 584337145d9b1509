using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using WeChat.Domain.Messages;

namespace WeChat.Infrastructure.Protocol;

/// <summary>
/// Maps callback XML to the typed models of protocol §2.3–2.4. Element names are case-sensitive and
/// inconsistent on the wire (<c>MsgId</c>/<c>MsgID</c>, <c>MenuId</c>/<c>MenuID</c>), so both spellings
/// are read; <c>Event</c> values are compared case-insensitively; unknown types become generic messages.
/// </summary>
public static class InboundMessageParser
{
    public static InboundMessage Parse(string xml) => Parse(CallbackXml.Load(xml));

    /// <exception cref="InboundXmlException">A required element is missing or a number does not parse.</exception>
    public static InboundMessage Parse(XElement root)
    {
        var fields = new Fields(root);
        var msgType = fields.Required("MsgType");
        return msgType.ToLowerInvariant() switch
        {
            "event" => ParseEvent(fields),
            "text" => new TextMessage
            {
                Content = fields.Optional("Content") ?? string.Empty,
                BizMsgMenuId = fields.Optional("bizmsgmenuid"),
            }.WithMessageFields(fields),
            "image" => new ImageMessage
            {
                PicUrl = fields.Optional("PicUrl"),
                MediaId = fields.Required("MediaId"),
            }.WithMessageFields(fields),
            "voice" => new VoiceMessage
            {
                MediaId = fields.Required("MediaId"),
                Format = fields.Optional("Format"),
                MediaId16K = fields.Optional("MediaId16K"),
                Recognition = fields.Optional("Recognition"),
            }.WithMessageFields(fields),
            "video" => new VideoMessage
            {
                MediaId = fields.Required("MediaId"),
                ThumbMediaId = fields.Optional("ThumbMediaId"),
            }.WithMessageFields(fields),
            "shortvideo" => new ShortVideoMessage
            {
                MediaId = fields.Required("MediaId"),
                ThumbMediaId = fields.Optional("ThumbMediaId"),
            }.WithMessageFields(fields),
            "location" => new LocationMessage
            {
                Latitude = fields.RequiredDouble("Location_X"),
                Longitude = fields.RequiredDouble("Location_Y"),
                Scale = fields.OptionalInt("Scale"),
                Label = fields.Optional("Label"),
            }.WithMessageFields(fields),
            "link" => new LinkMessage
            {
                Title = fields.Optional("Title"),
                Description = fields.Optional("Description"),
                Url = fields.Optional("Url"),
            }.WithMessageFields(fields),
            "miniprogrampage" => new MiniProgramPageMessage
            {
                AppId = fields.Optional("AppId"),
                Title = fields.Optional("Title"),
                PagePath = fields.Optional("PagePath"),
                ThumbUrl = fields.Optional("ThumbUrl"),
                ThumbMediaId = fields.Optional("ThumbMediaId"),
            }.WithMessageFields(fields),
            _ => new UnknownMessage
            {
                ToUserName = fields.Required("ToUserName"),
                FromUserName = fields.Required("FromUserName"),
                CreateTime = fields.RequiredLong("CreateTime"),
                MsgType = msgType,
                MsgId = fields.OptionalLong("MsgId", "MsgID"),
                Fields = fields.AllTopLevel(),
                ContentFingerprint = fields.Fingerprint(),
            },
        };
    }

    private static EventMessage ParseEvent(Fields fields)
    {
        var eventName = fields.Required("Event");
        EventMessage parsed = eventName.ToLowerInvariant() switch
        {
            "subscribe" => new SubscribeEvent { Event = eventName, Ticket = fields.Optional("Ticket") },
            "unsubscribe" => new UnsubscribeEvent { Event = eventName },
            "scan" => new ScanEvent { Event = eventName, Ticket = fields.Optional("Ticket") },
            "location" => new LocationEvent
            {
                Event = eventName,
                Latitude = fields.RequiredDouble("Latitude"),
                Longitude = fields.RequiredDouble("Longitude"),
                Precision = fields.OptionalDouble("Precision"),
            },
            "click" => new ClickEvent { Event = eventName },
            "view" => new ViewEvent { Event = eventName, MenuId = fields.Optional("MenuId", "MenuID") },
            "scancode_push" or "scancode_waitmsg" => new ScanCodeEvent
            {
                Event = eventName,
                ScanType = fields.Nested("ScanCodeInfo", "ScanType"),
                ScanResult = fields.Nested("ScanCodeInfo", "ScanResult"),
            },
            "pic_sysphoto" or "pic_photo_or_album" or "pic_weixin" => ParsePictureEvent(fields, eventName),
            "location_select" => new LocationSelectEvent
            {
                Event = eventName,
                Latitude = Fields.ToDouble(fields.Nested("SendLocationInfo", "Location_X"), "Location_X"),
                Longitude = Fields.ToDouble(fields.Nested("SendLocationInfo", "Location_Y"), "Location_Y"),
                Scale = Fields.ToInt(fields.Nested("SendLocationInfo", "Scale"), "Scale"),
                Label = fields.Nested("SendLocationInfo", "Label"),
                Poiname = fields.Nested("SendLocationInfo", "Poiname"),
            },
            "view_miniprogram" => new ViewMiniProgramEvent { Event = eventName, MenuId = fields.Optional("MenuId", "MenuID") },
            "templatesendjobfinish" => new TemplateSendJobFinishEvent
            {
                Event = eventName,
                MsgId = fields.RequiredLong("MsgID", "MsgId"),
                Status = fields.Optional("Status") ?? string.Empty,
            },
            "masssendjobfinish" => new MassSendJobFinishEvent
            {
                Event = eventName,
                MsgId = fields.RequiredLong("MsgID", "MsgId"),
                Status = fields.Optional("Status") ?? string.Empty,
                TotalCount = fields.OptionalInt("TotalCount"),
                FilterCount = fields.OptionalInt("FilterCount"),
                SentCount = fields.OptionalInt("SentCount"),
                ErrorCount = fields.OptionalInt("ErrorCount"),
                CopyrightCheckResult = fields.InnerXml("CopyrightCheckResult"),
                ArticleUrlResult = fields.InnerXml("ArticleUrlResult"),
            },
            "publishjobfinish" => ParsePublishJobFinish(fields, eventName),
            "kf_create_session" => new KfCreateSessionEvent { Event = eventName, KfAccount = fields.Required("KfAccount") },
            "kf_close_session" => new KfCloseSessionEvent { Event = eventName, KfAccount = fields.Required("KfAccount") },
            "kf_switch_session" => new KfSwitchSessionEvent
            {
                Event = eventName,
                FromKfAccount = fields.Required("FromKfAccount"),
                ToKfAccount = fields.Required("ToKfAccount"),
            },
            "subscribe_msg_popup_event" => new SubscribeMessagePopupEvent
            {
                Event = eventName,
                Items = fields.List("SubscribeMsgPopupEvent")
                    .Select(item => new SubscribeMessagePopupItem(
                        Fields.Child(item, "TemplateId") ?? string.Empty,
                        Fields.Child(item, "SubscribeStatusString") ?? string.Empty,
                        Fields.ToInt(Fields.Child(item, "PopupScene"), "PopupScene")))
                    .ToList(),
            },
            "subscribe_msg_change_event" => new SubscribeMessageChangeEvent
            {
                Event = eventName,
                Items = fields.List("SubscribeMsgChangeEvent")
                    .Select(item => new SubscribeMessageChangeItem(
                        Fields.Child(item, "TemplateId") ?? string.Empty,
                        Fields.Child(item, "SubscribeStatusString") ?? string.Empty))
                    .ToList(),
            },
            "subscribe_msg_sent_event" => new SubscribeMessageSentEvent
            {
                Event = eventName,
                Items = fields.List("SubscribeMsgSentEvent")
                    .Select(item => new SubscribeMessageSentItem(
                        Fields.Child(item, "TemplateId") ?? string.Empty,
                        Fields.ToLong(Fields.Child(item, "MsgID") ?? Fields.Child(item, "MsgId"), "MsgID"),
                        Fields.ToInt(Fields.Child(item, "ErrorCode"), "ErrorCode"),
                        Fields.Child(item, "ErrorStatus")))
                    .ToList(),
            },
            "user_authorization_revoke" => new UserAuthorizationRevokeEvent
            {
                Event = eventName,
                OpenId = fields.Optional("OpenID", "OpenId"),
                AppId = fields.Optional("AppID", "AppId"),
                RevokeInfo = fields.Optional("RevokeInfo"),
            },
            "user_info_modified" => new UserInfoModifiedEvent
            {
                Event = eventName,
                OpenId = fields.Optional("OpenID", "OpenId"),
                AppId = fields.Optional("AppID", "AppId"),
            },
            _ => new UnknownEvent { Event = eventName, Fields = fields.AllTopLevel() },
        };

        return parsed with
        {
            ToUserName = fields.Required("ToUserName"),
            FromUserName = fields.Required("FromUserName"),
            CreateTime = fields.RequiredLong("CreateTime"),
            MsgType = fields.Required("MsgType"),
            EventKey = fields.Optional("EventKey"),
        };
    }

    private static PictureEvent ParsePictureEvent(Fields fields, string eventName)
    {
        var info = fields.Element("SendPicsInfo");
        var sums = info?.Element("PicList")?.Elements("item")
            .Select(item => Fields.Child(item, "PicMd5Sum"))
            .OfType<string>()
            .ToList() ?? [];
        return new PictureEvent
        {
            Event = eventName,
            Count = Fields.ToInt(info is null ? null : Fields.Child(info, "Count"), "Count") ?? sums.Count,
            PictureMd5Sums = sums,
        };
    }

    private static PublishJobFinishEvent ParsePublishJobFinish(Fields fields, string eventName)
    {
        var info = fields.Element("PublishEventInfo");
        return new PublishJobFinishEvent
        {
            Event = eventName,
            PublishId = info is null ? null : Fields.Child(info, "publish_id"),
            PublishStatus = Fields.ToInt(info is null ? null : Fields.Child(info, "publish_status"), "publish_status"),
            ArticleId = info is null ? null : Fields.Child(info, "article_id"),
            ArticleDetail = info?.Element("article_detail") is { } detail ? Fields.Inner(detail) : null,
            FailedIndexes = info?.Elements("fail_idx")
                .Select(e => Fields.ToInt(e.Value, "fail_idx") ?? 0)
                .ToList() ?? [],
        };
    }

    private static T WithMessageFields<T>(this T message, Fields fields)
        where T : UserMessage => message with
        {
            ToUserName = fields.Required("ToUserName"),
            FromUserName = fields.Required("FromUserName"),
            CreateTime = fields.RequiredLong("CreateTime"),
            MsgType = fields.Required("MsgType"),
            MsgId = fields.RequiredLong("MsgId", "MsgID"),
            MsgDataId = fields.Optional("MsgDataId"),
            Idx = fields.OptionalInt("Idx"),
        };

    /// <summary>Typed access to the top-level elements of one callback.</summary>
    private sealed class Fields(XElement root)
    {
        public XElement? Element(string name) => root.Element(name);

        public string Required(string name, string? alternative = null) =>
            Optional(name, alternative) ?? throw new InboundXmlException($"missing element <{name}>");

        public string? Optional(string name, string? alternative = null) =>
            root.Element(name)?.Value ?? (alternative is null ? null : root.Element(alternative)?.Value);

        public long RequiredLong(string name, string? alternative = null) =>
            ToLong(Required(name, alternative), name) ?? throw new InboundXmlException($"empty element <{name}>");

        public long? OptionalLong(string name, string? alternative = null) => ToLong(Optional(name, alternative), name);

        public int? OptionalInt(string name) => ToInt(Optional(name), name);

        public double RequiredDouble(string name) =>
            ToDouble(Required(name), name) ?? throw new InboundXmlException($"empty element <{name}>");

        public double? OptionalDouble(string name) => ToDouble(Optional(name), name);

        public string? Nested(string parent, string child) =>
            root.Element(parent) is { } element ? Child(element, child) : null;

        public string? InnerXml(string name) => root.Element(name) is { } element ? Inner(element) : null;

        /// <summary>The <c>List</c> entries of a subscription-message event; a single entry is not special-cased away.</summary>
        public IEnumerable<XElement> List(string parent) => root.Element(parent)?.Elements("List") ?? [];

        public Dictionary<string, string> AllTopLevel()
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var element in root.Elements())
            {
                result.TryAdd(element.Name.LocalName, element.HasElements ? Inner(element) : element.Value);
            }

            return result;
        }

        /// <summary>Stable digest of all top-level fields, for deduplicating pushes that carry no id.</summary>
        public string Fingerprint()
        {
            var canonical = new StringBuilder();
            foreach (var (name, value) in AllTopLevel().OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                canonical.Append(name).Append('=').Append(value).Append('\n');
            }

            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())).AsSpan(0, 16));
        }

        public static string? Child(XElement parent, string name) => parent.Element(name)?.Value;

        public static string Inner(XElement element) => string.Concat(element.Nodes().Select(node => node.ToString()));

        public static long? ToLong(string? text, string name) =>
            string.IsNullOrWhiteSpace(text) ? null
            : long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
            : throw new InboundXmlException($"<{name}> is not a 64-bit integer");

        public static int? ToInt(string? text, string name) =>
            string.IsNullOrWhiteSpace(text) ? null
            : int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
            : throw new InboundXmlException($"<{name}> is not an integer");

        public static double? ToDouble(string? text, string name) =>
            string.IsNullOrWhiteSpace(text) ? null
            : double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
            : throw new InboundXmlException($"<{name}> is not a number");
    }
}
