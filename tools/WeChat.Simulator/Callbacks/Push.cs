using System.Globalization;
using System.Xml.Linq;

namespace WeChat.Simulator.Callbacks;

/// <summary>
/// Builds callback XML the way WeChat sends it (protocol §2): strings in CDATA, numbers bare,
/// <c>MsgId</c> on messages and <c>MsgID</c> on job-finish events, one factory per message and event type.
/// </summary>
public static class Push
{
    // Unique across runs, like WeChat's ids: a repeated (FromUserName, MsgId) is a retry to the platform.
    private static long _nextMsgId = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 12) + System.Security.Cryptography.RandomNumberGenerator.GetInt32(4096);

    /// <summary>A fresh 64-bit message id, as WeChat assigns them.</summary>
    public static long NewMsgId() => Interlocked.Increment(ref _nextMsgId);

    public static XElement Text(string account, string follower, long createTime, string content, long? msgId = null, string? bizMsgMenuId = null) =>
        Message(account, follower, createTime, "text", msgId, Cdata("Content", content), bizMsgMenuId is null ? null : new XElement("bizmsgmenuid", bizMsgMenuId));

    public static XElement Image(string account, string follower, long createTime, string mediaId, string picUrl = "http://mmbiz.qpic.cn/simulated.jpg", long? msgId = null) =>
        Message(account, follower, createTime, "image", msgId, Cdata("PicUrl", picUrl), Cdata("MediaId", mediaId));

    public static XElement Voice(string account, string follower, long createTime, string mediaId, string? recognition = null, long? msgId = null) =>
        Message(account, follower, createTime, "voice", msgId, Cdata("MediaId", mediaId), Cdata("Format", "amr"), Cdata("MediaId16K", mediaId + "_16k"),
            recognition is null ? null : Cdata("Recognition", recognition));

    public static XElement Video(string account, string follower, long createTime, string mediaId, bool shortVideo = false, long? msgId = null) =>
        Message(account, follower, createTime, shortVideo ? "shortvideo" : "video", msgId, Cdata("MediaId", mediaId), Cdata("ThumbMediaId", mediaId + "_thumb"));

    public static XElement Location(string account, string follower, long createTime, double latitude, double longitude, string label, long? msgId = null) =>
        Message(account, follower, createTime, "location", msgId, Number("Location_X", latitude), Number("Location_Y", longitude),
            new XElement("Scale", 15), Cdata("Label", label));

    public static XElement Link(string account, string follower, long createTime, string title, string url, long? msgId = null) =>
        Message(account, follower, createTime, "link", msgId, Cdata("Title", title), Cdata("Description", title), Cdata("Url", url));

    public static XElement MiniProgramPage(string account, string follower, long createTime, string appId, string pagePath, long? msgId = null) =>
        Message(account, follower, createTime, "miniprogrampage", msgId, Cdata("Title", "小程序"), Cdata("AppId", appId), Cdata("PagePath", pagePath),
            Cdata("ThumbUrl", "http://mmbiz.qpic.cn/thumb.jpg"), Cdata("ThumbMediaId", "thumb"));

    public static XElement Subscribe(string account, string follower, long createTime, string? qrScene = null) =>
        Event(account, follower, createTime, "subscribe",
            qrScene is null ? null : Cdata("EventKey", "qrscene_" + qrScene),
            qrScene is null ? null : Cdata("Ticket", "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw=="));

    public static XElement Unsubscribe(string account, string follower, long createTime) =>
        Event(account, follower, createTime, "unsubscribe", Cdata("EventKey", string.Empty));

    public static XElement Scan(string account, string follower, long createTime, string scene) =>
        Event(account, follower, createTime, "SCAN", Cdata("EventKey", scene), Cdata("Ticket", "TICKET"));

    public static XElement LocationReport(string account, string follower, long createTime, double latitude, double longitude, double precision = 65) =>
        Event(account, follower, createTime, "LOCATION", Number("Latitude", latitude), Number("Longitude", longitude), Number("Precision", precision));

    public static XElement Click(string account, string follower, long createTime, string key) =>
        Event(account, follower, createTime, "CLICK", Cdata("EventKey", key));

    public static XElement View(string account, string follower, long createTime, string url, string menuId = "208379533") =>
        Event(account, follower, createTime, "VIEW", Cdata("EventKey", url), new XElement("MenuId", menuId));

    public static XElement ScanCode(string account, string follower, long createTime, string key, string result, bool waitForMessage = false) =>
        Event(account, follower, createTime, waitForMessage ? "scancode_waitmsg" : "scancode_push", Cdata("EventKey", key),
            new XElement("ScanCodeInfo", Cdata("ScanType", "qrcode"), Cdata("ScanResult", result)));

    /// <summary><paramref name="kind"/>: <c>pic_sysphoto</c>, <c>pic_photo_or_album</c> or <c>pic_weixin</c>.</summary>
    public static XElement Pictures(string account, string follower, long createTime, string kind, string key, params string[] md5Sums) =>
        Event(account, follower, createTime, kind, Cdata("EventKey", key),
            new XElement("SendPicsInfo", new XElement("Count", md5Sums.Length),
                new XElement("PicList", md5Sums.Select(sum => new XElement("item", Cdata("PicMd5Sum", sum))))));

    public static XElement LocationSelect(string account, string follower, long createTime, string key, double latitude, double longitude, string label) =>
        Event(account, follower, createTime, "location_select", Cdata("EventKey", key),
            new XElement("SendLocationInfo", Cdata("Location_X", Format(latitude)), Cdata("Location_Y", Format(longitude)),
                Cdata("Scale", "15"), Cdata("Label", label), Cdata("Poiname", string.Empty)));

    public static XElement ViewMiniProgram(string account, string follower, long createTime, string pagePath) =>
        Event(account, follower, createTime, "view_miniprogram", Cdata("EventKey", pagePath), new XElement("MenuId", "MENUID"));

    /// <summary><paramref name="status"/>: <c>success</c>, <c>failed:user block</c> or <c>failed: system failed</c>.</summary>
    public static XElement TemplateSendJobFinish(string account, string follower, long createTime, long msgId, string status) =>
        Event(account, follower, createTime, "TEMPLATESENDJOBFINISH", new XElement("MsgID", msgId), Cdata("Status", status));

    public static XElement MassSendJobFinish(string account, string follower, long createTime, long msgId, string status, int sent) =>
        Event(account, follower, createTime, "MASSSENDJOBFINISH", new XElement("MsgID", msgId), Cdata("Status", status),
            new XElement("TotalCount", sent), new XElement("FilterCount", sent), new XElement("SentCount", sent), new XElement("ErrorCount", 0));

    public static XElement PublishJobFinish(string account, string follower, long createTime, string publishId, int status) =>
        Event(account, follower, createTime, "PUBLISHJOBFINISH",
            new XElement("PublishEventInfo", new XElement("publish_id", publishId), new XElement("publish_status", status),
                Cdata("article_id", "article-" + publishId)));

    public static XElement KfCreateSession(string account, string follower, long createTime, string kfAccount) =>
        Event(account, follower, createTime, "kf_create_session", Cdata("KfAccount", kfAccount));

    public static XElement KfCloseSession(string account, string follower, long createTime, string kfAccount) =>
        Event(account, follower, createTime, "kf_close_session", Cdata("KfAccount", kfAccount));

    public static XElement KfSwitchSession(string account, string follower, long createTime, string fromKf, string toKf) =>
        Event(account, follower, createTime, "kf_switch_session", Cdata("FromKfAccount", fromKf), Cdata("ToKfAccount", toKf));

    public static XElement SubscribeMessagePopup(string account, string follower, long createTime, string templateId, bool accepted) =>
        Event(account, follower, createTime, "subscribe_msg_popup_event",
            new XElement("SubscribeMsgPopupEvent", new XElement("List", Cdata("TemplateId", templateId),
                Cdata("SubscribeStatusString", accepted ? "accept" : "reject"), new XElement("PopupScene", 2))));

    public static XElement SubscribeMessageChange(string account, string follower, long createTime, string templateId, bool accepted) =>
        Event(account, follower, createTime, "subscribe_msg_change_event",
            new XElement("SubscribeMsgChangeEvent", new XElement("List", Cdata("TemplateId", templateId),
                Cdata("SubscribeStatusString", accepted ? "accept" : "reject"))));

    public static XElement SubscribeMessageSent(string account, string follower, long createTime, string templateId, long msgId) =>
        Event(account, follower, createTime, "subscribe_msg_sent_event",
            new XElement("SubscribeMsgSentEvent", new XElement("List", Cdata("TemplateId", templateId), new XElement("MsgID", msgId),
                new XElement("ErrorCode", 0), Cdata("ErrorStatus", "success"))));

    public static XElement UserAuthorizationRevoke(string account, string follower, long createTime, string appId) =>
        Event(account, follower, createTime, "user_authorization_revoke", Cdata("OpenID", follower), Cdata("AppID", appId), Cdata("RevokeInfo", "1"));

    public static XElement UserInfoModified(string account, string follower, long createTime, string appId) =>
        Event(account, follower, createTime, "user_info_modified", Cdata("OpenID", follower), Cdata("AppID", appId));

    private static XElement Message(string account, string follower, long createTime, string msgType, long? msgId, params XElement?[] body) =>
        new("xml", Envelope(account, follower, createTime, msgType), body, new XElement("MsgId", msgId ?? NewMsgId()));

    private static XElement Event(string account, string follower, long createTime, string eventName, params XElement?[] body) =>
        new("xml", Envelope(account, follower, createTime, "event"), Cdata("Event", eventName), body);

    private static XElement[] Envelope(string account, string follower, long createTime, string msgType) =>
    [
        Cdata("ToUserName", account),
        Cdata("FromUserName", follower),
        new XElement("CreateTime", createTime),
        Cdata("MsgType", msgType),
    ];

    private static XElement Cdata(string name, string value) => new(name, new XCData(value));

    private static XElement Number(string name, double value) => new(name, Format(value));

    private static string Format(double value) => value.ToString("0.000000", CultureInfo.InvariantCulture);
}
