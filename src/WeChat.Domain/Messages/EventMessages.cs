namespace WeChat.Domain.Messages;

/// <summary>An event push (<c>MsgType</c> = <c>event</c>). <see cref="Event"/> keeps WeChat's spelling; compare it case-insensitively.</summary>
public abstract record EventMessage : InboundMessage
{
    public string Event { get; init; } = string.Empty;

    public string? EventKey { get; init; }

    public override string DeduplicationKey =>
        DeduplicationKeys.ForEvent(FromUserName, CreateTime, Event, EventKey);
}

/// <summary>Follow. Through a parametric QR code <see cref="EventMessage.EventKey"/> is <c>qrscene_</c> + scene.</summary>
public sealed record SubscribeEvent : EventMessage
{
    public const string QrScenePrefix = "qrscene_";

    public string? Ticket { get; init; }

    /// <summary>The QR scene value with the <c>qrscene_</c> prefix removed; null for a plain follow.</summary>
    public string? QrScene => EventKey is { Length: > 0 } key && key.StartsWith(QrScenePrefix, StringComparison.Ordinal)
        ? key[QrScenePrefix.Length..]
        : null;
}

public sealed record UnsubscribeEvent : EventMessage;

/// <summary>An existing follower scanned a parametric QR code; <see cref="EventMessage.EventKey"/> is the scene (no prefix).</summary>
public sealed record ScanEvent : EventMessage
{
    public string? Ticket { get; init; }
}

/// <summary>Location reporting (on session entry or every 5 s).</summary>
public sealed record LocationEvent : EventMessage
{
    public required double Latitude { get; init; }

    public required double Longitude { get; init; }

    public double? Precision { get; init; }
}

/// <summary>Custom menu <c>click</c> button; <see cref="EventMessage.EventKey"/> is the button key.</summary>
public sealed record ClickEvent : EventMessage;

/// <summary>Custom menu <c>view</c> button; <see cref="EventMessage.EventKey"/> is the URL.</summary>
public sealed record ViewEvent : EventMessage
{
    /// <summary><c>MenuId</c> (documented as <c>MenuID</c>; both are read).</summary>
    public string? MenuId { get; init; }
}

/// <summary><c>scancode_push</c> or <c>scancode_waitmsg</c>.</summary>
public sealed record ScanCodeEvent : EventMessage
{
    public string? ScanType { get; init; }

    public string? ScanResult { get; init; }
}

/// <summary><c>pic_sysphoto</c>, <c>pic_photo_or_album</c> or <c>pic_weixin</c>.</summary>
public sealed record PictureEvent : EventMessage
{
    public int Count { get; init; }

    /// <summary>One entry per picture, also when there is a single one.</summary>
    public required IReadOnlyList<string> PictureMd5Sums { get; init; }
}

/// <summary>Menu <c>location_select</c>.</summary>
public sealed record LocationSelectEvent : EventMessage
{
    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    public int? Scale { get; init; }

    public string? Label { get; init; }

    public string? Poiname { get; init; }
}

/// <summary>Menu button that opens a Mini Program; <see cref="EventMessage.EventKey"/> is the page path.</summary>
public sealed record ViewMiniProgramEvent : EventMessage
{
    public string? MenuId { get; init; }
}

/// <summary>Events that report on one of our own sends and carry its <c>MsgID</c>.</summary>
public abstract record JobFinishEvent : EventMessage
{
    /// <summary><c>MsgID</c> (capital D in these events), the id the send API returned.</summary>
    public required long MsgId { get; init; }

    public required string Status { get; init; }

    public override string DeduplicationKey =>
        DeduplicationKeys.ForEvent(FromUserName, CreateTime, Event, EventKey, MsgId);
}

/// <summary>Delivery report of a template message. <see cref="JobFinishEvent.Status"/>: <c>success</c>, <c>failed:user block</c>, <c>failed: system failed</c>.</summary>
public sealed record TemplateSendJobFinishEvent : JobFinishEvent
{
    public bool Succeeded => string.Equals(Status, "success", StringComparison.OrdinalIgnoreCase);

    public bool BlockedByUser => Status.Contains("user block", StringComparison.OrdinalIgnoreCase);
}

public sealed record MassSendJobFinishEvent : JobFinishEvent
{
    public int? TotalCount { get; init; }

    public int? FilterCount { get; init; }

    public int? SentCount { get; init; }

    public int? ErrorCount { get; init; }

    /// <summary>Inner XML of <c>CopyrightCheckResult</c>, kept as received.</summary>
    public string? CopyrightCheckResult { get; init; }

    /// <summary>Inner XML of <c>ArticleUrlResult</c>, kept as received.</summary>
    public string? ArticleUrlResult { get; init; }
}

/// <summary>Free-publish (发布) result.</summary>
public sealed record PublishJobFinishEvent : EventMessage
{
    public string? PublishId { get; init; }

    public int? PublishStatus { get; init; }

    public string? ArticleId { get; init; }

    /// <summary>Inner XML of <c>article_detail</c>, kept as received.</summary>
    public string? ArticleDetail { get; init; }

    public IReadOnlyList<int> FailedIndexes { get; init; } = [];

    public override string DeduplicationKey =>
        DeduplicationKeys.ForEvent(FromUserName, CreateTime, Event, PublishId);
}

public sealed record KfCreateSessionEvent : EventMessage
{
    public required string KfAccount { get; init; }
}

public sealed record KfCloseSessionEvent : EventMessage
{
    public required string KfAccount { get; init; }
}

public sealed record KfSwitchSessionEvent : EventMessage
{
    public required string FromKfAccount { get; init; }

    public required string ToKfAccount { get; init; }
}

public sealed record SubscribeMessagePopupItem(string TemplateId, string SubscribeStatus, int? PopupScene);

public sealed record SubscribeMessageChangeItem(string TemplateId, string SubscribeStatus);

public sealed record SubscribeMessageSentItem(string TemplateId, long? MsgId, int? ErrorCode, string? ErrorStatus);

/// <summary>Result of a subscription-notification popup; the list may repeat.</summary>
public sealed record SubscribeMessagePopupEvent : EventMessage
{
    public required IReadOnlyList<SubscribeMessagePopupItem> Items { get; init; }
}

public sealed record SubscribeMessageChangeEvent : EventMessage
{
    public required IReadOnlyList<SubscribeMessageChangeItem> Items { get; init; }
}

public sealed record SubscribeMessageSentEvent : EventMessage
{
    public required IReadOnlyList<SubscribeMessageSentItem> Items { get; init; }
}

/// <summary>The follower withdrew authorization; their data should be deleted.</summary>
public sealed record UserAuthorizationRevokeEvent : EventMessage
{
    public string? OpenId { get; init; }

    public string? AppId { get; init; }

    public string? RevokeInfo { get; init; }
}

public sealed record UserInfoModifiedEvent : EventMessage
{
    public string? OpenId { get; init; }

    public string? AppId { get; init; }
}

/// <summary>An event this platform does not model (card events and anything new): accepted and kept.</summary>
public sealed record UnknownEvent : EventMessage
{
    public required IReadOnlyDictionary<string, string> Fields { get; init; }
}
