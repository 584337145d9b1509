using WeChat.Simulator;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>Accounts known to both the simulator and the platform under test; each test class takes its own.</summary>
public static class TestAccounts
{
    private static int _next;

    /// <summary>A fresh account with a unique AppId, so tests never see each other's tokens or followers.</summary>
    public static SimulatedAccountOptions Create(string prefix, CallbackMode mode = CallbackMode.Plaintext, string? callbackUrl = null)
    {
        var n = Interlocked.Increment(ref _next);
        var appId = $"wx{prefix}{n:D4}".PadRight(18, '0')[..18];
        return new SimulatedAccountOptions
        {
            AppId = appId,
            AppSecret = "secret-" + appId,
            Token = "token" + n,
            EncodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            OriginalId = "gh_" + appId[2..],
            CallbackMode = mode,
            CallbackUrl = callbackUrl ?? $"http://localhost/wechat/{appId}",
        };
    }

    /// <summary>The platform-side configuration of these accounts (WeChat:Accounts:{n}:…).</summary>
    public static Dictionary<string, string?> Settings(IEnumerable<SimulatedAccountOptions> accounts, int requestsPerSecond = 2000)
    {
        var settings = new Dictionary<string, string?>();
        var index = 0;
        foreach (var account in accounts)
        {
            var prefix = $"WeChat:Accounts:{index++}:";
            settings[prefix + "AppId"] = account.AppId;
            settings[prefix + "AppSecret"] = account.AppSecret;
            settings[prefix + "Token"] = account.Token;
            settings[prefix + "EncodingAESKey"] = account.EncodingAESKey;
            settings[prefix + "ApiRequestsPerSecond"] = requestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[prefix + "TemplateMessagesPerSecond"] = requestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }
}
