namespace WeChat.Domain.Credentials;

public enum CredentialKind
{
    /// <summary>The account's global access_token (stable_token API, normal mode).</summary>
    AccessToken = 1,

    /// <summary>The JS-SDK jsapi_ticket.</summary>
    JsApiTicket = 2,
}

/// <summary>
/// One credential per account and kind, shared by every process through the database: the value,
/// its expiry, a version that changes with every refresh, and a lease held by the one process that
/// is refreshing it.
/// </summary>
public sealed class CachedCredential
{
    public required string AppId { get; init; }

    public required CredentialKind Kind { get; init; }

    public string Value { get; set; } = string.Empty;

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Incremented by each refresh; invalidation only applies to the version that failed.</summary>
    public long Version { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public DateTimeOffset? RefreshedAt { get; set; }
}
