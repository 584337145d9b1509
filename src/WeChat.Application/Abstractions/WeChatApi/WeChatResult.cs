namespace WeChat.Application.Abstractions.WeChatApi;

/// <summary>
/// What became of a WeChat API call, decided from <c>errcode</c> only (never from <c>errmsg</c>).
/// Everything but <see cref="None"/> and <see cref="Transient"/> is final: retrying cannot help.
/// </summary>
public enum WeChatFailure
{
    None = 0,

    /// <summary>-1 (system busy), HTTP 5xx, a transport error before the request left, 45011, an open circuit: try again later.</summary>
    Transient,

    /// <summary>The request may have reached WeChat but no answer came back; a non-idempotent send must not be repeated.</summary>
    Ambiguous,

    /// <summary>45015: outside the 48-hour window, or the follower unsubscribed.</summary>
    OutsideServiceWindow,

    /// <summary>45047: the customer-service message allowance of this window is used up.</summary>
    ServiceQuotaExhausted,

    /// <summary>43004: the user does not follow the account.</summary>
    NotFollowing,

    /// <summary>40003: the OpenID is malformed or belongs to another account.</summary>
    InvalidOpenId,

    /// <summary>48001: the account lacks permission for this API.</summary>
    Unauthorized,

    /// <summary>40164: this server's IP is not in the console's API allow-list.</summary>
    IpNotAllowed,

    /// <summary>45009: the daily quota of this API is used up.</summary>
    DailyQuotaExceeded,

    /// <summary>40033: the request contained \uXXXX escapes.</summary>
    InvalidCharset,

    /// <summary>40001/40014/42001 again after a refreshed token: someone else invalidates tokens, or the secret changed.</summary>
    InvalidCredential,

    /// <summary>40013/40125/40164 on token fetch and similar: the account is misconfigured.</summary>
    Configuration,

    /// <summary>40029/40163/42003: the OAuth code is invalid, used or expired.</summary>
    OAuthCodeInvalid,

    /// <summary>42002: the OAuth refresh token expired; the user must authorize again.</summary>
    OAuthRefreshExpired,

    /// <summary>Any other non-zero errcode: a request WeChat will keep refusing.</summary>
    Rejected,
}

/// <summary>The outcome of one call: the value on success, otherwise errcode, errmsg and the <c>rid</c> to quote to WeChat.</summary>
public sealed record WeChatResult<T>(T? Value, WeChatFailure Failure, int ErrorCode, string? ErrorMessage, string? Rid)
{
    public bool Succeeded => Failure == WeChatFailure.None;

    /// <summary>Worth trying again later (with backoff).</summary>
    public bool IsTransient => Failure == WeChatFailure.Transient;

    public WeChatResult<TOther> As<TOther>() => new(default, Failure, ErrorCode, ErrorMessage, Rid);

    public override string ToString() => Succeeded ? "ok" : $"{Failure} (errcode {ErrorCode}{(Rid is null ? string.Empty : ", rid " + Rid)})";
}

public static class WeChatResult
{
    public static WeChatResult<T> Success<T>(T value) => new(value, WeChatFailure.None, 0, null, null);

    public static WeChatResult<T> Fail<T>(WeChatFailure failure, int errorCode, string? errorMessage, string? rid = null) =>
        new(default, failure, errorCode, errorMessage, rid);
}

/// <summary>Result of calls that return nothing but success.</summary>
public readonly record struct Empty;
