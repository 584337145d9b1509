using System.Security.Cryptography;

namespace WeChat.Simulator.Platform;

public enum TokenCheck
{
    Valid,

    /// <summary>42001: the token existed but its time is up.</summary>
    Expired,

    /// <summary>40001: unknown, replaced (after the overlap) or revoked.</summary>
    Invalid,
}

/// <summary>
/// Access tokens with WeChat's semantics (protocol §6.1):
/// <list type="bullet">
/// <item><c>stable_token</c> (normal mode) returns the same token while more than the rollover time is
/// left; then a new one, the old one living on until its own expiry. <c>force_refresh</c> mints a new
/// one and kills the old at once, at most once every 30 s.</item>
/// <item><c>/cgi-bin/token</c> mints a new token on every call; the previous one dies after the overlap.</item>
/// <item>The two kinds are independent; revocation (fault injection) kills every current token of an account.</item>
/// </list>
/// </summary>
public sealed class TokenIssuer(TimeProvider time, SimulatorOptions options)
{
    private static readonly TimeSpan ForceRefreshInterval = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Issued> _byValue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccountTokens> _byAccount = new(StringComparer.Ordinal);

    public int StableIssued(string appId) => Tokens(appId).StableIssued;

    public int ClassicIssued(string appId) => Tokens(appId).ClassicIssued;

    /// <summary>Returns the token and its remaining lifetime in seconds, or errcode 45011 for a too-early force refresh.</summary>
    public (string Token, int ExpiresIn, int ErrorCode) Stable(string appId, bool forceRefresh)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var tokens = Tokens(appId);
            if (forceRefresh)
            {
                if (tokens.LastForceRefresh is { } last && now - last < ForceRefreshInterval)
                {
                    return (string.Empty, 0, 45011);
                }

                tokens.LastForceRefresh = now;
                Kill(tokens.Stable, now);
            }
            else if (tokens.Stable is { } current && current.KilledAt is null
                && current.ExpiresAt - now > TimeSpan.FromSeconds(options.StableTokenRolloverSeconds))
            {
                return (current.Value, (int)(current.ExpiresAt - now).TotalSeconds, 0);
            }

            tokens.Stable = Mint(appId, now);
            tokens.StableIssued++;
            return (tokens.Stable.Value, options.TokenLifetimeSeconds, 0);
        }
    }

    public (string Token, int ExpiresIn) Classic(string appId)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var tokens = Tokens(appId);
            if (tokens.Classic is { } previous)
            {
                var diesAt = now.AddSeconds(options.ClassicTokenOverlapSeconds);
                if (previous.ExpiresAt > diesAt)
                {
                    previous.ExpiresAt = diesAt;
                    previous.DiesQuietly = true;
                }
            }

            tokens.Classic = Mint(appId, now);
            tokens.ClassicIssued++;
            return (tokens.Classic.Value, options.TokenLifetimeSeconds);
        }
    }

    /// <summary>Kills every current token of the account, as a force refresh by another system would.</summary>
    public void Revoke(string appId)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var tokens = Tokens(appId);
            Kill(tokens.Stable, now);
            Kill(tokens.Classic, now);
        }
    }

    public (TokenCheck Check, string? AppId) Validate(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (TokenCheck.Invalid, null);
        }

        lock (_gate)
        {
            if (!_byValue.TryGetValue(token, out var issued) || issued.KilledAt is not null)
            {
                return (TokenCheck.Invalid, issued?.AppId);
            }

            if (time.GetUtcNow() >= issued.ExpiresAt)
            {
                // A classic token that was replaced is "not latest" (40001); one that simply ran out is expired (42001).
                return (issued.DiesQuietly ? TokenCheck.Invalid : TokenCheck.Expired, issued.AppId);
            }

            return (TokenCheck.Valid, issued.AppId);
        }
    }

    private AccountTokens Tokens(string appId)
    {
        lock (_gate)
        {
            if (!_byAccount.TryGetValue(appId, out var tokens))
            {
                tokens = new AccountTokens();
                _byAccount[appId] = tokens;
            }

            return tokens;
        }
    }

    private Issued Mint(string appId, DateTimeOffset now)
    {
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96)).Replace('+', '-').Replace('/', '_');
        var issued = new Issued(appId, value) { ExpiresAt = now.AddSeconds(options.TokenLifetimeSeconds) };
        _byValue[value] = issued;
        return issued;
    }

    private static void Kill(Issued? issued, DateTimeOffset now)
    {
        if (issued is not null)
        {
            issued.KilledAt ??= now;
        }
    }

    private sealed class AccountTokens
    {
        public Issued? Stable { get; set; }

        public Issued? Classic { get; set; }

        public DateTimeOffset? LastForceRefresh { get; set; }

        public int StableIssued { get; set; }

        public int ClassicIssued { get; set; }
    }

    private sealed class Issued(string appId, string value)
    {
        public string AppId { get; } = appId;

        public string Value { get; } = value;

        public DateTimeOffset ExpiresAt { get; set; }

        public DateTimeOffset? KilledAt { get; set; }

        /// <summary>Replaced by a newer /cgi-bin/token token: after the overlap it is "not latest", not "expired".</summary>
        public bool DiesQuietly { get; set; }
    }
}
