namespace WeChat.Application.Configuration;

/// <summary>The <c>WeChat</c> configuration section (see docs/configuration.md).</summary>
public sealed class WeChatOptions
{
    public const string SectionName = "WeChat";

    /// <summary>Base URL of the WeChat API (the simulator's address in local runs).</summary>
    public string ApiBaseUrl { get; set; } = "https://api.weixin.qq.com";

    /// <summary>WeChat's OAuth authorize page.</summary>
    public string OAuthAuthorizeUrl { get; set; } = "https://open.weixin.qq.com/connect/oauth2/authorize";

    /// <summary>Allowed clock difference of a callback's <c>timestamp</c>; 0 turns the check off.</summary>
    public int TimestampToleranceSeconds { get; set; } = 300;

    /// <summary>Largest callback body accepted; larger ones get 413.</summary>
    public int MaxCallbackBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// A cached access token is refreshed when less than this much of its life is left. Must stay
    /// under 300 s: stable_token hands out the same token until 5 minutes before its expiry.
    /// </summary>
    public int TokenRefreshMarginSeconds { get; set; } = 120;

    /// <summary>Per-attempt timeout of WeChat API calls.</summary>
    public int ApiAttemptTimeoutSeconds { get; set; } = 5;

    public List<WeChatAccountOptions> Accounts { get; set; } = [];
}

/// <summary>One Official Account: <c>WeChat:Accounts:{n}</c>.</summary>
public sealed class WeChatAccountOptions
{
    public string AppId { get; set; } = string.Empty;

    public string AppSecret { get; set; } = string.Empty;

    /// <summary>The Token entered in the console's server configuration.</summary>
    public string Token { get; set; } = string.Empty;

    /// <summary>43 characters; needed for compatible and safe mode.</summary>
    public string? EncodingAESKey { get; set; }

    /// <summary>Reject plaintext callbacks (safe mode only).</summary>
    public bool RequireEncryption { get; set; }

    /// <summary>Human-readable name shown by the internal API.</summary>
    public string? DisplayName { get; set; }

    /// <summary>
    /// Outbound WeChat API calls per second for this account from one process (all kinds together);
    /// calls over the rate wait their turn. WeChat's own limits are mostly daily quotas.
    /// </summary>
    public int ApiRequestsPerSecond { get; set; } = 1000;

    /// <summary>Template messages per second when fanning out a bulk send.</summary>
    public int TemplateMessagesPerSecond { get; set; } = 20;
}
