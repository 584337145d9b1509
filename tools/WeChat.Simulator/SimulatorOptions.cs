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
}

public sealed class SimulatedAgentOptions
{
    public string KfAccount { get; set; } = string.Empty;

    public string Nickname { get; set; } = string.Empty;

    public bool Online { get; set; }

    public int AcceptedCases { get; set; }
}
