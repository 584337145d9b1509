namespace WeChat.Domain.Conversations;

/// <summary>Where a conversation with a follower stands.</summary>
public static class ConversationStates
{
    /// <summary>The bot answers.</summary>
    public const string Bot = "bot";

    /// <summary>Hand-off requested; the platform is finding an agent.</summary>
    public const string AwaitingAgent = "awaiting_agent";

    /// <summary>A human agent serves the follower; the bot stays silent.</summary>
    public const string Agent = "agent";
}

/// <summary>
/// The conversation with one follower: a state name, a small JSON bag for multi-step dialogs and an
/// expiry. Lives in the database and is only changed inside handler transactions, so every worker
/// sees the same state (there is no cache that can disagree).
/// </summary>
public sealed class ConversationSession
{
    public const int MaxDataLength = 4000;

    /// <summary>WeChat closes an idle customer-service session after 30 minutes.</summary>
    public static readonly TimeSpan AgentIdleTimeout = TimeSpan.FromMinutes(30);

    public long Id { get; init; }

    public required string AppId { get; init; }

    public required string OpenId { get; init; }

    public string State { get; private set; } = ConversationStates.Bot;

    public string? KfAccount { get; private set; }

    /// <summary>Small JSON bag for the current dialog step.</summary>
    public string? Data { get; private set; }

    /// <summary>After this the session counts as back with the bot.</summary>
    public DateTimeOffset? ExpiresAt { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Optimistic concurrency: two workers changing one session never both win.</summary>
    public int Version { get; private set; }

    /// <summary>The state that applies now: an expired session is back with the bot.</summary>
    public string CurrentState(DateTimeOffset now) => ExpiresAt is { } expires && now >= expires ? ConversationStates.Bot : State;

    public bool IsWithAgent(DateTimeOffset now) => CurrentState(now) is ConversationStates.Agent or ConversationStates.AwaitingAgent;

    public void MoveTo(string state, DateTimeOffset now, TimeSpan? lifetime = null, string? kfAccount = null, string? data = null)
    {
        if (data is { Length: > MaxDataLength })
        {
            throw new ArgumentException($"Session data is limited to {MaxDataLength} characters.", nameof(data));
        }

        State = state;
        KfAccount = kfAccount;
        Data = data;
        ExpiresAt = lifetime is { } span ? now + span : null;
        UpdatedAt = now;
        Version++;
    }

    /// <summary>The follower wrote while with an agent: WeChat's idle timer restarts.</summary>
    public void Touch(DateTimeOffset now)
    {
        if (State == ConversationStates.Agent)
        {
            ExpiresAt = now + AgentIdleTimeout;
        }

        UpdatedAt = now;
        Version++;
    }
}
