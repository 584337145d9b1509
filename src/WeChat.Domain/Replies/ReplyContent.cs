using System.Text.Json.Serialization;

namespace WeChat.Domain.Replies;

/// <summary>
/// What the platform says to a follower, independent of how it travels (passive reply XML or a
/// customer-service message). Stored as JSON in reply rules and outbox rows: the discriminators
/// are persisted, never rename them.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TextReply), "text")]
[JsonDerivedType(typeof(ImageReply), "image")]
[JsonDerivedType(typeof(VoiceReply), "voice")]
[JsonDerivedType(typeof(VideoReply), "video")]
[JsonDerivedType(typeof(MusicReply), "music")]
[JsonDerivedType(typeof(NewsReply), "news")]
[JsonDerivedType(typeof(MpNewsReply), "mpnews")]
[JsonDerivedType(typeof(MessageMenuReply), "msgmenu")]
[JsonDerivedType(typeof(MiniProgramPageReply), "miniprogrampage")]
public abstract record ReplyContent
{
    /// <summary>WeChat's <c>msgtype</c> for this content.</summary>
    [JsonIgnore]
    public abstract string MsgType { get; }
}

public sealed record TextReply(string Content) : ReplyContent
{
    public override string MsgType => "text";
}

public sealed record ImageReply(string MediaId) : ReplyContent
{
    public override string MsgType => "image";
}

public sealed record VoiceReply(string MediaId) : ReplyContent
{
    public override string MsgType => "voice";
}

public sealed record VideoReply(string MediaId, string? ThumbMediaId = null, string? Title = null, string? Description = null) : ReplyContent
{
    public override string MsgType => "video";
}

public sealed record MusicReply(string ThumbMediaId, string? Title = null, string? Description = null, string? MusicUrl = null, string? HqMusicUrl = null) : ReplyContent
{
    public override string MsgType => "music";
}

public sealed record NewsArticle(string Title, string? Description = null, string? Url = null, string? PicUrl = null);

/// <summary>An external-link article. WeChat accepts one article per reply since 2018; more fail with 45008.</summary>
public sealed record NewsReply(IReadOnlyList<NewsArticle> Articles) : ReplyContent
{
    public override string MsgType => "news";
}

/// <summary>A permanent news material (customer-service messages only).</summary>
public sealed record MpNewsReply(string MediaId) : ReplyContent
{
    public override string MsgType => "mpnews";
}

public sealed record MessageMenuItem(string Id, string Content);

/// <summary>A tappable menu (customer-service messages only); taps come back as text with <c>bizmsgmenuid</c>.</summary>
public sealed record MessageMenuReply(string HeadContent, IReadOnlyList<MessageMenuItem> Items, string TailContent) : ReplyContent
{
    public override string MsgType => "msgmenu";
}

/// <summary>A Mini Program card (customer-service messages only).</summary>
public sealed record MiniProgramPageReply(string Title, string AppId, string PagePath, string ThumbMediaId) : ReplyContent
{
    public override string MsgType => "miniprogrampage";
}
