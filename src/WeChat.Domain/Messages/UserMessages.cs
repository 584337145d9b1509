namespace WeChat.Domain.Messages;

/// <summary>A message a follower sent (everything but events). Always carries a 64-bit <c>MsgId</c>.</summary>
public abstract record UserMessage : InboundMessage
{
    public long MsgId { get; init; }

    /// <summary>Set when the message was sent from an article (comment flow).</summary>
    public string? MsgDataId { get; init; }

    /// <summary>1-based article index, with <see cref="MsgDataId"/>.</summary>
    public int? Idx { get; init; }

    public override string DeduplicationKey => DeduplicationKeys.ForMessage(FromUserName, MsgId);
}

public sealed record TextMessage : UserMessage
{
    public required string Content { get; init; }

    /// <summary>Set when the follower tapped an item of a <c>msgmenu</c> message (<c>bizmsgmenuid</c>).</summary>
    public string? BizMsgMenuId { get; init; }
}

public sealed record ImageMessage : UserMessage
{
    public string? PicUrl { get; init; }

    public required string MediaId { get; init; }
}

public sealed record VoiceMessage : UserMessage
{
    public required string MediaId { get; init; }

    public string? Format { get; init; }

    public string? MediaId16K { get; init; }

    /// <summary>Speech recognition result; absent or empty unless recognition is enabled.</summary>
    public string? Recognition { get; init; }
}

public sealed record VideoMessage : UserMessage
{
    public required string MediaId { get; init; }

    public string? ThumbMediaId { get; init; }
}

public sealed record ShortVideoMessage : UserMessage
{
    public required string MediaId { get; init; }

    public string? ThumbMediaId { get; init; }
}

public sealed record LocationMessage : UserMessage
{
    /// <summary><c>Location_X</c>.</summary>
    public required double Latitude { get; init; }

    /// <summary><c>Location_Y</c>.</summary>
    public required double Longitude { get; init; }

    public int? Scale { get; init; }

    public string? Label { get; init; }
}

public sealed record LinkMessage : UserMessage
{
    public string? Title { get; init; }

    public string? Description { get; init; }

    public string? Url { get; init; }
}

public sealed record MiniProgramPageMessage : UserMessage
{
    public string? AppId { get; init; }

    public string? Title { get; init; }

    public string? PagePath { get; init; }

    public string? ThumbUrl { get; init; }

    public string? ThumbMediaId { get; init; }
}

/// <summary>
/// A <c>MsgType</c> this platform does not model. Accepted and kept with its top-level fields so
/// that nothing WeChat sends is refused or lost.
/// </summary>
public sealed record UnknownMessage : InboundMessage
{
    public long? MsgId { get; init; }

    /// <summary>Top-level elements: leaf text, or the inner XML of elements with children.</summary>
    public required IReadOnlyDictionary<string, string> Fields { get; init; }

    /// <summary>Fingerprint of the fields, used for deduplication when there is no <c>MsgId</c>.</summary>
    public required string ContentFingerprint { get; init; }

    public override string DeduplicationKey => MsgId is { } id
        ? DeduplicationKeys.ForMessage(FromUserName, id)
        : DeduplicationKeys.ForContent(FromUserName, CreateTime, MsgType, ContentFingerprint);
}
