namespace WeChat.Domain.Followers;

/// <summary>A follower of one account: subscription state, where they came from, when they last
/// interacted (which opens the customer-service window) and where they last were.</summary>
public sealed class Follower
{
    public const int MaxSceneLength = 64;

    public long Id { get; init; }

    public required string AppId { get; init; }

    public required string OpenId { get; init; }

    /// <summary>Null while unknown (the follower wrote before this platform saw a subscribe event).</summary>
    public bool? IsSubscribed { get; private set; }

    public DateTimeOffset? SubscribedAt { get; private set; }

    public DateTimeOffset? UnsubscribedAt { get; private set; }

    /// <summary>The parametric QR scene of the latest follow, <c>qrscene_</c> prefix removed.</summary>
    public string? QrScene { get; private set; }

    public DateTimeOffset? LastInteractionAt { get; private set; }

    /// <summary>What the last interaction was (message, click, scan, follow): it decides the window's size.</summary>
    public string? LastInteractionKind { get; private set; }

    public double? Latitude { get; private set; }

    public double? Longitude { get; private set; }

    public double? LocationPrecision { get; private set; }

    public DateTimeOffset? LocationReportedAt { get; private set; }

    public string? UnionId { get; private set; }

    public string? Language { get; private set; }

    public string? Remark { get; private set; }

    /// <summary>WeChat's <c>subscribe_scene</c> (ADD_SCENE_QR_CODE, ADD_SCENE_SEARCH, …).</summary>
    public string? SubscribeSource { get; private set; }

    public string? Nickname { get; private set; }

    public string? HeadImageUrl { get; private set; }

    public DateTimeOffset? ProfileFetchedAt { get; private set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>False only when we know they unfollowed: messages from them get no reply.</summary>
    public bool MayReceiveMessages => IsSubscribed != false;

    public void Subscribe(DateTimeOffset at, string? qrScene)
    {
        IsSubscribed = true;
        SubscribedAt = at;
        UnsubscribedAt = null;
        QrScene = qrScene is { Length: > MaxSceneLength } ? qrScene[..MaxSceneLength] : qrScene;
        Interacted(at, "follow");
    }

    public void Unsubscribe(DateTimeOffset at)
    {
        IsSubscribed = false;
        UnsubscribedAt = at;
        UpdatedAt = at;
    }

    public void Interacted(DateTimeOffset at, string kind)
    {
        if (LastInteractionAt is null || at >= LastInteractionAt)
        {
            LastInteractionAt = at;
            LastInteractionKind = kind;
        }

        UpdatedAt = at;
    }

    public void ReportLocation(DateTimeOffset at, double latitude, double longitude, double? precision)
    {
        Latitude = latitude;
        Longitude = longitude;
        LocationPrecision = precision;
        LocationReportedAt = at;
        UpdatedAt = at;
    }

    /// <summary>What the user-info API says (nickname and avatar only come from web authorization).</summary>
    public void ApplyProfile(DateTimeOffset at, bool subscribed, string? unionId, string? language, string? remark, string? subscribeSource)
    {
        if (!subscribed && IsSubscribed == true)
        {
            Unsubscribe(at);
        }

        UnionId = unionId ?? UnionId;
        Language = language ?? Language;
        Remark = remark ?? Remark;
        SubscribeSource = subscribeSource ?? SubscribeSource;
        ProfileFetchedAt = at;
        UpdatedAt = at;
    }

    /// <summary>What web authorization (snsapi_userinfo) returns.</summary>
    public void ApplyWebProfile(DateTimeOffset at, string? nickname, string? headImageUrl, string? unionId)
    {
        Nickname = nickname ?? Nickname;
        HeadImageUrl = headImageUrl ?? HeadImageUrl;
        UnionId = unionId ?? UnionId;
        UpdatedAt = at;
    }
}
