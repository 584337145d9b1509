using WeChat.Domain.Accounts;
using WeChat.Simulator.Callbacks;

namespace WeChat.Simulator;

/// <summary>The <c>Simulator</c> configuration section.</summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    public List<SimulatedAccountOptions> Accounts { get; set; } = [];

    /// <summary>Lifetime of access tokens and tickets (WeChat: 7200 s).</summary>
    public int TokenLifetimeSeconds { get; set; } = 7200;

    /// <summary>stable_token hands out a new token once the current one has less than this left (WeChat: 300 s).</summary>
    public int StableTokenRolloverSeconds { get; set; } = 300;

    /// <summary>How long a <c>/cgi-bin/token</c> token keeps working after a newer one was minted (WeChat: up to 300 s).</summary>
    public int ClassicTokenOverlapSeconds { get; set; } = 300;

    /// <summary>Enforce the customer-service window and quota (45015/45047).</summary>
    public bool EnforceServiceWindow { get; set; } = true;

    /// <summary>Delay before TEMPLATESENDJOBFINISH is pushed after a template send.</summary>
    public int TemplateJobFinishDelayMilliseconds { get; set; } = 200;

    /// <summary>Recorded calls kept in memory (oldest dropped first).</summary>
    public int MaxRecordedCalls { get; set; } = 2_000_000;

    /// <summary>What is wrong with this configuration, each naming its key; empty when the simulator can start.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Accounts.Count == 0)
        {
            problems.Add($"{SectionName}:Accounts: configure at least one account (AppId, AppSecret, Token)");
        }

        if (TokenLifetimeSeconds < 60)
        {
            problems.Add($"{SectionName}:TokenLifetimeSeconds: must be at least 60 (WeChat: 7200)");
        }

        if (StableTokenRolloverSeconds < 0 || StableTokenRolloverSeconds >= TokenLifetimeSeconds)
        {
            problems.Add($"{SectionName}:StableTokenRolloverSeconds: must be between 0 and the token lifetime (WeChat: 300)");
        }

        if (ClassicTokenOverlapSeconds < 0)
        {
            problems.Add($"{SectionName}:ClassicTokenOverlapSeconds: must not be negative (WeChat: 300)");
        }

        if (TemplateJobFinishDelayMilliseconds < 0)
        {
            problems.Add($"{SectionName}:TemplateJobFinishDelayMilliseconds: must not be negative");
        }

        if (MaxRecordedCalls < 1)
        {
            problems.Add($"{SectionName}:MaxRecordedCalls: must be at least 1");
        }

        for (var i = 0; i < Accounts.Count; i++)
        {
            problems.AddRange(Accounts[i].Problems().Select(problem => $"{SectionName}:Accounts:{i}:{problem}"));
        }

        problems.AddRange(Accounts.GroupBy(account => account.AppId, StringComparer.Ordinal).Where(same => same.Count() > 1)
            .Select(same => $"{SectionName}:Accounts: AppId {same.Key} is configured {same.Count()} times"));
        return problems;
    }
}

public sealed class SimulatedAccountOptions
{
    public string AppId { get; set; } = string.Empty;

    public string AppSecret { get; set; } = string.Empty;

    public string Token { get; set; } = string.Empty;

    public string? EncodingAESKey { get; set; }

    /// <summary>The account's original id, used as <c>ToUserName</c> in callbacks.</summary>
    public string OriginalId { get; set; } = "gh_000000000000";

    /// <summary>The platform's callback URL for this account (where WeChat pushes).</summary>
    public string? CallbackUrl { get; set; }

    public CallbackMode CallbackMode { get; set; } = CallbackMode.Plaintext;

    /// <summary>Customer-service agents of the account.</summary>
    public List<SimulatedAgentOptions> Agents { get; set; } = [];

    /// <summary>What is wrong with this account, each starting with its key.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(AppId))
        {
            yield return "AppId: is required";
        }

        if (string.IsNullOrWhiteSpace(AppSecret))
        {
            yield return "AppSecret: is required";
        }

        if (string.IsNullOrWhiteSpace(Token))
        {
            yield return "Token: is required";
        }

        if (!string.IsNullOrEmpty(EncodingAESKey) && !EncodingAesKey.TryDecode(EncodingAESKey, out _, out var error))
        {
            yield return $"EncodingAESKey: {error}";
        }

        if (CallbackMode != CallbackMode.Plaintext && string.IsNullOrEmpty(EncodingAESKey))
        {
            yield return $"EncodingAESKey: is required for CallbackMode {CallbackMode}";
        }

        if (CallbackUrl is not null && !(Uri.TryCreate(CallbackUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
        {
            yield return $"CallbackUrl: '{CallbackUrl}' is not an absolute http(s) URL";
        }
    }
}

public sealed class SimulatedAgentOptions
{
    public string KfAccount { get; set; } = string.Empty;

    public string Nickname { get; set; } = string.Empty;

    public bool Online { get; set; }

    public int AcceptedCases { get; set; }
}
