using System.Text.Json.Nodes;
using WeChat.Domain.Replies;

namespace WeChat.Application.Abstractions.WeChatApi;

/// <summary>Customer-service (客服) messages and the typing indicator.</summary>
public interface IWeChatMessagingApi
{
    /// <summary>
    /// <c>message/custom/send</c>. Never retried after an ambiguous timeout (the follower would get it twice);
    /// such an outcome is <see cref="WeChatFailure.Ambiguous"/>.
    /// </summary>
    Task<WeChatResult<Empty>> SendCustomerServiceMessageAsync(string appId, string toUser, ReplyContent content, string? kfAccount, CancellationToken cancellationToken);

    Task<WeChatResult<Empty>> SetTypingAsync(string appId, string toUser, bool typing, CancellationToken cancellationToken);

    /// <summary><c>message/template/send</c> with <c>client_msg_id</c>, so retries are safe. Returns WeChat's <c>msgid</c>.</summary>
    Task<WeChatResult<long>> SendTemplateMessageAsync(string appId, TemplateMessageRequest request, CancellationToken cancellationToken);
}

/// <summary>Customer-service agents and sessions (多客服).</summary>
public interface IWeChatCustomerServiceApi
{
    Task<WeChatResult<IReadOnlyList<KfAccountInfo>>> GetAgentsAsync(string appId, CancellationToken cancellationToken);

    Task<WeChatResult<IReadOnlyList<OnlineKfAccount>>> GetOnlineAgentsAsync(string appId, CancellationToken cancellationToken);

    Task<WeChatResult<Empty>> CreateSessionAsync(string appId, string kfAccount, string openId, CancellationToken cancellationToken);

    Task<WeChatResult<Empty>> CloseSessionAsync(string appId, string kfAccount, string openId, CancellationToken cancellationToken);

    /// <summary>The agent serving <paramref name="openId"/>; <c>KfAccount</c> is empty when nobody is.</summary>
    Task<WeChatResult<KfSessionInfo>> GetSessionAsync(string appId, string openId, CancellationToken cancellationToken);
}

/// <summary>Menus, users, QR codes, media and platform information.</summary>
public interface IWeChatManagementApi
{
    Task<WeChatResult<Empty>> CreateMenuAsync(string appId, JsonObject menu, CancellationToken cancellationToken);

    Task<WeChatResult<JsonObject>> GetMenuAsync(string appId, CancellationToken cancellationToken);

    Task<WeChatResult<Empty>> DeleteMenuAsync(string appId, CancellationToken cancellationToken);

    Task<WeChatResult<WeChatUserInfo>> GetUserInfoAsync(string appId, string openId, CancellationToken cancellationToken);

    /// <summary>Up to 100 OpenIDs per call.</summary>
    Task<WeChatResult<IReadOnlyList<WeChatUserInfo>>> GetUserInfosAsync(string appId, IReadOnlyList<string> openIds, CancellationToken cancellationToken);

    Task<WeChatResult<QrCodeTicket>> CreateQrCodeAsync(string appId, QrCodeRequest request, CancellationToken cancellationToken);

    /// <summary>Temporary media (kept 3 days); <paramref name="mediaType"/> is image, voice, video or thumb.</summary>
    Task<WeChatResult<UploadedMedia>> UploadTemporaryMediaAsync(string appId, string mediaType, Stream content, string fileName, CancellationToken cancellationToken);

    /// <summary>Source addresses of WeChat's callbacks, for the ingress allow-list.</summary>
    Task<WeChatResult<IReadOnlyList<string>>> GetCallbackIpsAsync(string appId, CancellationToken cancellationToken);
}

/// <summary>Web authorization (OAuth 2.0) for pages opened inside WeChat.</summary>
public interface IWeChatOAuthApi
{
    /// <summary>Exchanges a single-use code; never call twice with the same code.</summary>
    Task<WeChatResult<OAuthAccessToken>> ExchangeCodeAsync(string appId, string code, CancellationToken cancellationToken);

    Task<WeChatResult<OAuthAccessToken>> RefreshAsync(string appId, string refreshToken, CancellationToken cancellationToken);

    Task<WeChatResult<OAuthUserInfo>> GetUserInfoAsync(string appId, string accessToken, string openId, CancellationToken cancellationToken);
}

/// <summary>JS-SDK <c>wx.config</c> parameters signed with the shared jsapi_ticket.</summary>
public interface IJsSdkSigner
{
    Task<WeChatResult<JsSdkConfig>> SignAsync(string appId, string url, CancellationToken cancellationToken);
}

/// <summary>The shared access token of an account (stable_token, one per account for all processes).</summary>
public interface IAccessTokenProvider
{
    Task<AccessTokenLease> GetAsync(string appId, CancellationToken cancellationToken);

    /// <summary>Marks the token unusable, but only if it is still <paramref name="failedVersion"/>.</summary>
    Task InvalidateAsync(string appId, long failedVersion, CancellationToken cancellationToken);
}

public sealed record AccessTokenLease(string Value, long Version, DateTimeOffset ExpiresAt);

public sealed record TemplateMessageRequest(
    string ToUser,
    string TemplateId,
    IReadOnlyDictionary<string, string> Data,
    string ClientMsgId,
    string? Url = null,
    string? MiniProgramAppId = null,
    string? MiniProgramPagePath = null);

public sealed record KfAccountInfo(string KfAccount, string Nickname, string? KfId, string? InviteStatus);

/// <summary><c>Status</c>: 1 PC, 2 mobile, 3 both.</summary>
public sealed record OnlineKfAccount(string KfAccount, int Status, string? KfId, int AcceptedCases);

public sealed record KfSessionInfo(string? KfAccount, long? CreateTime);

public sealed record WeChatUserInfo(
    string OpenId,
    bool Subscribed,
    string? Language,
    long? SubscribeTime,
    string? UnionId,
    string? Remark,
    string? SubscribeScene,
    long? QrScene,
    string? QrSceneString,
    IReadOnlyList<int> TagIds);

/// <summary>A temporary (<c>ExpireSeconds</c> set) or permanent parametric QR code.</summary>
public sealed record QrCodeRequest(int? ExpireSeconds, int? SceneId, string? SceneString)
{
    public string ActionName => (ExpireSeconds is null, SceneString is null) switch
    {
        (true, true) => "QR_LIMIT_SCENE",
        (true, false) => "QR_LIMIT_STR_SCENE",
        (false, true) => "QR_SCENE",
        (false, false) => "QR_STR_SCENE",
    };
}

public sealed record QrCodeTicket(string Ticket, int? ExpireSeconds, string Url);

public sealed record UploadedMedia(string Type, string MediaId, long CreatedAt);

public sealed record OAuthAccessToken(string AccessToken, int ExpiresIn, string RefreshToken, string OpenId, string Scope, string? UnionId, bool IsSnapshotUser);

public sealed record OAuthUserInfo(string OpenId, string? Nickname, string? HeadImageUrl, string? UnionId);

public sealed record JsSdkConfig(string AppId, long Timestamp, string NonceStr, string Signature);
