using System.Text.Json.Serialization;

namespace WeChat.Domain.Messages;

/// <summary>
/// One push from WeChat (a follower's message or an event), parsed from the callback XML.
/// The JSON discriminators are part of the bus contract: never rename them.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(TextMessage), "text")]
[JsonDerivedType(typeof(ImageMessage), "image")]
[JsonDerivedType(typeof(VoiceMessage), "voice")]
[JsonDerivedType(typeof(VideoMessage), "video")]
[JsonDerivedType(typeof(ShortVideoMessage), "shortvideo")]
[JsonDerivedType(typeof(LocationMessage), "location")]
[JsonDerivedType(typeof(LinkMessage), "link")]
[JsonDerivedType(typeof(MiniProgramPageMessage), "miniprogrampage")]
[JsonDerivedType(typeof(UnknownMessage), "unknown-message")]
[JsonDerivedType(typeof(SubscribeEvent), "event:subscribe")]
[JsonDerivedType(typeof(UnsubscribeEvent), "event:unsubscribe")]
[JsonDerivedType(typeof(ScanEvent), "event:scan")]
[JsonDerivedType(typeof(LocationEvent), "event:location")]
[JsonDerivedType(typeof(ClickEvent), "event:click")]
[JsonDerivedType(typeof(ViewEvent), "event:view")]
[JsonDerivedType(typeof(ScanCodeEvent), "event:scancode")]
[JsonDerivedType(typeof(PictureEvent), "event:pic")]
[JsonDerivedType(typeof(LocationSelectEvent), "event:location_select")]
[JsonDerivedType(typeof(ViewMiniProgramEvent), "event:view_miniprogram")]
[JsonDerivedType(typeof(TemplateSendJobFinishEvent), "event:templatesendjobfinish")]
[JsonDerivedType(typeof(MassSendJobFinishEvent), "event:masssendjobfinish")]
[JsonDerivedType(typeof(PublishJobFinishEvent), "event:publishjobfinish")]
[JsonDerivedType(typeof(KfCreateSessionEvent), "event:kf_create_session")]
[JsonDerivedType(typeof(KfCloseSessionEvent), "event:kf_close_session")]
[JsonDerivedType(typeof(KfSwitchSessionEvent), "event:kf_switch_session")]
[JsonDerivedType(typeof(SubscribeMessagePopupEvent), "event:subscribe_msg_popup_event")]
[JsonDerivedType(typeof(SubscribeMessageChangeEvent), "event:subscribe_msg_change_event")]
[JsonDerivedType(typeof(SubscribeMessageSentEvent), "event:subscribe_msg_sent_event")]
[JsonDerivedType(typeof(UserAuthorizationRevokeEvent), "event:user_authorization_revoke")]
[JsonDerivedType(typeof(UserInfoModifiedEvent), "event:user_info_modified")]
[JsonDerivedType(typeof(UnknownEvent), "unknown-event")]
public abstract record InboundMessage
{
    // The envelope fields are set by the parser (or a test) after the type-specific ones, through
    // `with`, so they are not `required`.

    /// <summary>The Official Account's original id (<c>gh_…</c>).</summary>
    public string ToUserName { get; init; } = string.Empty;

    /// <summary>The follower's OpenID.</summary>
    public string FromUserName { get; init; } = string.Empty;

    /// <summary>Unix seconds, as WeChat sent them.</summary>
    public long CreateTime { get; init; }

    /// <summary>The <c>MsgType</c> element as received.</summary>
    public string MsgType { get; init; } = string.Empty;

    /// <summary>
    /// The part of the deduplication key that identifies this push within its account
    /// (the account's AppId is the other part): <c>FromUserName + MsgId</c> for messages,
    /// <c>FromUserName + CreateTime + Event + EventKey</c> for events.
    /// </summary>
    public abstract string DeduplicationKey { get; }
}

/// <summary>Builds deduplication keys in one place so that every type agrees on the format.</summary>
public static class DeduplicationKeys
{
    /// <summary>Keys stay well under the database index limit; longer tails are hashed.</summary>
    public const int MaxLength = 200;

    public static string ForMessage(string fromUserName, long msgId) =>
        Bounded($"msg|{fromUserName}|{msgId}");

    public static string ForEvent(string fromUserName, long createTime, string eventName, string? eventKey, long? msgId = null) =>
        Bounded(msgId is { } id
            ? $"evt|{fromUserName}|{createTime}|{eventName.ToLowerInvariant()}|{eventKey}|{id}"
            : $"evt|{fromUserName}|{createTime}|{eventName.ToLowerInvariant()}|{eventKey}");

    public static string ForContent(string fromUserName, long createTime, string kind, string contentFingerprint) =>
        Bounded($"raw|{fromUserName}|{createTime}|{kind}|{contentFingerprint}");

    private static string Bounded(string key)
    {
        if (key.Length <= MaxLength)
        {
            return key;
        }

        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));
        var hex = Convert.ToHexStringLower(hash);
        return string.Concat(key.AsSpan(0, MaxLength - hex.Length - 1), "#", hex);
    }
}
