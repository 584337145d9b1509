using System.Text.RegularExpressions;
using WeChat.Application.Abstractions.WeChatApi;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>Maps WeChat's <c>errcode</c> to what the caller should do (protocol §12). Never looks at <c>errmsg</c> for that.</summary>
public static partial class WeChatErrorCodes
{
    public const int SystemBusy = -1;
    public const int InvalidCredential = 40001;
    public const int InvalidAccessToken = 40014;
    public const int AccessTokenExpired = 42001;

    /// <summary>The token was refused: invalidate it (if it is still the one that failed) and retry once.</summary>
    public static bool IsTokenRejected(int errorCode) =>
        errorCode is InvalidCredential or InvalidAccessToken or AccessTokenExpired;

    public static WeChatFailure Classify(int errorCode) => errorCode switch
    {
        0 => WeChatFailure.None,
        SystemBusy or 45011 => WeChatFailure.Transient,
        InvalidCredential or InvalidAccessToken or AccessTokenExpired => WeChatFailure.InvalidCredential,
        40013 or 40125 => WeChatFailure.Configuration,
        40164 => WeChatFailure.IpNotAllowed,
        45009 => WeChatFailure.DailyQuotaExceeded,
        48001 => WeChatFailure.Unauthorized,
        43004 => WeChatFailure.NotFollowing,
        40003 => WeChatFailure.InvalidOpenId,
        45015 => WeChatFailure.OutsideServiceWindow,
        45047 => WeChatFailure.ServiceQuotaExhausted,
        40033 => WeChatFailure.InvalidCharset,
        40029 or 40163 or 42003 => WeChatFailure.OAuthCodeInvalid,
        42002 => WeChatFailure.OAuthRefreshExpired,
        _ => WeChatFailure.Rejected,
    };

    /// <summary>The <c>rid</c> WeChat appends to errmsg ("… rid: 5f6c…"), to quote when asking WeChat what happened.</summary>
    public static string? ExtractRid(string? errorMessage)
    {
        if (string.IsNullOrEmpty(errorMessage))
        {
            return null;
        }

        var match = RidPattern().Match(errorMessage);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"rid:\s*([0-9A-Za-z\-]+)")]
    private static partial Regex RidPattern();
}
