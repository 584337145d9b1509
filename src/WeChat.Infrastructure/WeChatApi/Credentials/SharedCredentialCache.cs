using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WeChat.Application.Abstractions;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Domain.Credentials;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.WeChatApi.Credentials;

/// <summary>A credential freshly obtained from WeChat.</summary>
public sealed record IssuedCredential(string Value, int ExpiresInSeconds);

/// <summary>WeChat refused to issue a credential (wrong secret, IP not allowed, …).</summary>
public sealed class CredentialUnavailableException(WeChatFailure failure, int errorCode, string? errorMessage)
    : Exception($"WeChat did not issue a credential: {failure} (errcode {errorCode}).")
{
    public WeChatFailure Failure { get; } = failure;

    public int ErrorCode { get; } = errorCode;

    public string? ErrorMessage { get; } = errorMessage;
}

/// <summary>
/// One credential per account and kind, shared by every process through the database row
/// <see cref="CachedCredential"/>. Readers use an in-memory copy until a margin before expiry.
/// A refresh is single-flight inside the process (a semaphore per account) and across processes
/// (a lease claimed on the row with a conditional update); whoever wins re-checks the row first,
/// so a credential somebody else just refreshed is reused, never replaced. Invalidation only
/// applies to the version that failed, so a late 40001 cannot throw away a newer credential.
/// </summary>
public sealed partial class SharedCredentialCache(
    CredentialKind kind,
    IDbContextFactory<WeChatDbContext> databases,
    IDatabaseErrors databaseErrors,
    IDatabaseWriteGate writeGate,
    TimeProvider time,
    TimeSpan refreshMargin,
    ILogger logger)
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);
    // Polling is wall-clock (another process makes progress in real time); expiry and leases follow TimeProvider.
    private static readonly TimeSpan WaitStep = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, AccessTokenLease> _memory = new(StringComparer.Ordinal);
    // The newest version WeChat refused, per account: a loader that read the row just before its
    // invalidation reached the database must not put that version back into use.
    private readonly ConcurrentDictionary<string, long> _refused = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Raised after this process fetched a new credential from WeChat (for metrics).</summary>
    public event Action<string, CredentialKind>? Refreshed;

    public async Task<AccessTokenLease> GetAsync(string appId, Func<CancellationToken, Task<IssuedCredential>> issue, CancellationToken cancellationToken)
    {
        if (_memory.TryGetValue(appId, out var cached) && IsUsable(appId, cached.Version, cached.ExpiresAt))
        {
            return cached;
        }

        var gate = _gates.GetOrAdd(appId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_memory.TryGetValue(appId, out cached) && IsUsable(appId, cached.Version, cached.ExpiresAt))
            {
                return cached;
            }

            var lease = await LoadOrRefreshAsync(appId, issue, cancellationToken);
            _memory[appId] = lease;
            return lease;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task InvalidateAsync(string appId, long failedVersion, CancellationToken cancellationToken)
    {
        // The in-memory copy needs no removal: a refused version is no longer usable (IsUsable).
        _refused.AddOrUpdate(appId, failedVersion, (_, refused) => Math.Max(refused, failedVersion));
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        using var writer = await writeGate.EnterAsync(cancellationToken);
        var invalidated = await db.Credentials
            .Where(c => c.AppId == appId && c.Kind == kind && c.Version == failedVersion)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.ExpiresAt, DateTimeOffset.UnixEpoch), cancellationToken);
        LogInvalidated(logger, kind, appId, failedVersion, invalidated == 1);
    }

    private async Task<AccessTokenLease> LoadOrRefreshAsync(string appId, Func<CancellationToken, Task<IssuedCredential>> issue, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            var row = await db.Credentials.AsNoTracking().SingleOrDefaultAsync(c => c.AppId == appId && c.Kind == kind, cancellationToken);
            var now = time.GetUtcNow();

            if (row is not null && IsUsable(appId, row.Version, row.ExpiresAt))
            {
                return ToLease(row);
            }

            var leaseHeldByOther = row?.LeaseUntil is { } until && until > now && row.LeaseOwner != _owner;
            if (leaseHeldByOther)
            {
                // Another process is refreshing. A still-valid credential (inside the margin) is
                // good to use meanwhile; an expired or invalidated one means waiting for the refresh.
                if (row!.ExpiresAt > now && !IsRefused(appId, row.Version))
                {
                    return ToLease(row);
                }

                await Task.Delay(WaitStep, cancellationToken);
                continue;
            }

            if (!await TryClaimAsync(db, appId, row, now, cancellationToken))
            {
                await Task.Delay(WaitStep, cancellationToken);
                continue;
            }

            return await RefreshAsync(db, appId, row?.Version ?? 0, issue, cancellationToken);
        }
    }

    private async Task<bool> TryClaimAsync(WeChatDbContext db, string appId, CachedCredential? row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var leaseUntil = now + LeaseDuration;
        if (row is null)
        {
            db.Credentials.Add(new CachedCredential
            {
                AppId = appId,
                Kind = kind,
                ExpiresAt = DateTimeOffset.UnixEpoch,
                LeaseOwner = _owner,
                LeaseUntil = leaseUntil,
            });
            try
            {
                using var writer = await writeGate.EnterAsync(cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                return true;
            }
            catch (DbUpdateException ex) when (databaseErrors.IsUniqueViolation(ex))
            {
                db.ChangeTracker.Clear();
                return false;
            }
        }

        var version = row.Version;
        using var claimWriter = await writeGate.EnterAsync(cancellationToken);
        var claimed = await db.Credentials
            .Where(c => c.AppId == appId && c.Kind == kind && c.Version == version && (c.LeaseUntil == null || c.LeaseUntil <= now || c.LeaseOwner == _owner))
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.LeaseOwner, _owner).SetProperty(c => c.LeaseUntil, leaseUntil), cancellationToken);
        return claimed == 1;
    }

    private async Task<AccessTokenLease> RefreshAsync(WeChatDbContext db, string appId, long previousVersion, Func<CancellationToken, Task<IssuedCredential>> issue, CancellationToken cancellationToken)
    {
        IssuedCredential issued;
        try
        {
            issued = await issue(cancellationToken);
        }
        catch
        {
            using var releaseWriter = await writeGate.EnterAsync(CancellationToken.None);
            await db.Credentials
                .Where(c => c.AppId == appId && c.Kind == kind && c.LeaseOwner == _owner)
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.LeaseOwner, (string?)null).SetProperty(c => c.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
            throw;
        }

        var now = time.GetUtcNow();
        var expiresAt = now.AddSeconds(issued.ExpiresInSeconds);
        var version = previousVersion + 1;
        // Not cancellable from here: WeChat has issued it (a new jsapi_ticket costs daily quota), and a
        // caller that went away must not leave the row leased to this process with nothing in it,
        // every other process waiting out the lease.
        using (await writeGate.EnterAsync(CancellationToken.None))
        {
            await db.Credentials
                .Where(c => c.AppId == appId && c.Kind == kind && c.LeaseOwner == _owner)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(c => c.Value, issued.Value)
                    .SetProperty(c => c.ExpiresAt, expiresAt)
                    .SetProperty(c => c.Version, version)
                    .SetProperty(c => c.RefreshedAt, now)
                    .SetProperty(c => c.LeaseOwner, (string?)null)
                    .SetProperty(c => c.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
        }

        LogRefreshed(logger, kind, appId, version, issued.ExpiresInSeconds);
        Refreshed?.Invoke(appId, kind);
        return new AccessTokenLease(issued.Value, version, expiresAt);
    }

    private bool IsUsable(string appId, long version, DateTimeOffset expiresAt) =>
        time.GetUtcNow() < expiresAt - refreshMargin && !IsRefused(appId, version);

    private bool IsRefused(string appId, long version) => _refused.TryGetValue(appId, out var refused) && version <= refused;

    private static AccessTokenLease ToLease(CachedCredential row) => new(row.Value, row.Version, row.ExpiresAt);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Fetched a new {Kind} for {AppId} (version {Version}, valid {ExpiresIn} s)")]
    private static partial void LogRefreshed(ILogger logger, CredentialKind kind, string appId, long version, int expiresIn);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "WeChat refused the {Kind} of {AppId} (version {Version}); invalidated: {Invalidated}")]
    private static partial void LogInvalidated(ILogger logger, CredentialKind kind, string appId, long version, bool invalidated);
}
