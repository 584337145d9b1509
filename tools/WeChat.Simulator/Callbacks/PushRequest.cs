using System.Xml.Linq;

namespace WeChat.Simulator.Callbacks;

/// <summary>A push described by name, for the control API and the command line.</summary>
/// <param name="Type">text, image, voice, video, shortvideo, location, link, subscribe, unsubscribe, scan,
/// location_report, click, view, scancode_push, scancode_waitmsg, pic_sysphoto, pic_photo_or_album, pic_weixin,
/// location_select, view_miniprogram, user_info_modified, user_authorization_revoke.</param>
public sealed record PushRequest(
    string Type,
    string OpenId,
    string? Content = null,
    string? EventKey = null,
    long? MsgId = null,
    long? CreateTime = null,
    int Deliveries = 1,
    bool RetryUntilAcknowledged = false,
    CallbackMode? Mode = null)
{
    public XElement Build(string originalId, string appId, long now)
    {
        var time = CreateTime ?? now;
        var key = EventKey ?? string.Empty;
        return Type.ToLowerInvariant() switch
        {
            "text" => Push.Text(originalId, OpenId, time, Content ?? string.Empty, MsgId),
            "image" => Push.Image(originalId, OpenId, time, Content ?? "sim_media_image", msgId: MsgId),
            "voice" => Push.Voice(originalId, OpenId, time, "sim_media_voice", Content, MsgId),
            "video" => Push.Video(originalId, OpenId, time, "sim_media_video", msgId: MsgId),
            "shortvideo" => Push.Video(originalId, OpenId, time, "sim_media_shortvideo", shortVideo: true, msgId: MsgId),
            "location" => Push.Location(originalId, OpenId, time, 23.134521, 113.358803, Content ?? "广州市天河区", MsgId),
            "link" => Push.Link(originalId, OpenId, time, Content ?? "链接", key.Length > 0 ? key : "https://mp.weixin.qq.com/", MsgId),
            "subscribe" => Push.Subscribe(originalId, OpenId, time, key.Length > 0 ? key : null),
            "unsubscribe" => Push.Unsubscribe(originalId, OpenId, time),
            "scan" => Push.Scan(originalId, OpenId, time, key),
            "location_report" => Push.LocationReport(originalId, OpenId, time, 23.137466, 113.352425),
            "click" => Push.Click(originalId, OpenId, time, key),
            "view" => Push.View(originalId, OpenId, time, key),
            "scancode_push" or "scancode_waitmsg" => Push.ScanCode(originalId, OpenId, time, key, Content ?? "scanned", Type == "scancode_waitmsg"),
            "pic_sysphoto" or "pic_photo_or_album" or "pic_weixin" => Push.Pictures(originalId, OpenId, time, Type.ToLowerInvariant(), key, "1b5f7c23b5bf75682a53e7b6d163e185"),
            "location_select" => Push.LocationSelect(originalId, OpenId, time, key, 23, 113, Content ?? "广州市海珠区"),
            "view_miniprogram" => Push.ViewMiniProgram(originalId, OpenId, time, key),
            "user_info_modified" => Push.UserInfoModified(originalId, OpenId, time, appId),
            "user_authorization_revoke" => Push.UserAuthorizationRevoke(originalId, OpenId, time, appId),
            _ => throw new InvalidOperationException($"Unknown push type '{Type}'."),
        };
    }
}
