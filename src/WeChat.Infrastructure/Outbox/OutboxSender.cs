using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;
using WeChat.Application.Followers;
using WeChat.Application.Outbox;
using WeChat.Domain.Outbox;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.Outbox;

/// <summary>
/// Sends one outbox row at most once: it first claims the row with a conditional update
/// (Pending and not leased → Sending with a lease; exactly one row must change), so the fast path,
/// the sweeper and other workers never both act on it. Then it records the outcome: Sent; Pending
/// again with backoff for transient failures; Failed with WeChat's errcode for final ones;
/// Unconfirmed when a customer-service message may or may not have reached WeChat.
/// </summary>
public sealed partial class OutboxSender(
    IDbContextFactory<WeChatDbContext> databases,
    IEnumerable<IOutboxExecutor> executors,
    IServiceScopeFactory scopes,
    IDatabaseWriteGate writeGate,
    IWeChatManagementApi management,
    IOptions<OutboxOptions> options,
    WeChatMetrics metrics,
    TimeProvider time,
    ILogger<OutboxSender> logger) : IOutboxDispatcher
{
    /// <summary>The user-info batch API takes at most 100 OpenIDs.</summary>
    public const int ProfileBatchSize = 100;

    private readonly Dictionary<OutboxKind, IOutboxExecutor> _executors = executors.ToDictionary(e => e.Kind);

    /// <summary>The fast path after a commit: send each row now, in the order written, without reading it back.</summary>
    public async Task DispatchAsync(IReadOnlyList<OutboxMessage> committed, CancellationToken cancellationToken)
    {
        foreach (var message in committed)
        {
            try
            {
                await SendAsync(message.Id, message, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The row stays claimed or pending; the sweeper takes over. The handler already committed.
                LogDispatchFailed(logger, ex, message.Id);
            }
        }
    }

    /// <summary>Claims and sends one row; false if someone else has it or it is not due.</summary>
    public Task<bool> SendAsync(Guid id, CancellationToken cancellationToken) => SendAsync(id, known: null, cancellationToken);

    private async Task<bool> SendAsync(Guid id, OutboxMessage? known, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var leaseUntil = now.AddSeconds(options.Value.LeaseSeconds);
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        int claimed;
        using (await writeGate.EnterAsync(cancellationToken))
        {
            claimed = await db.OutboxMessages
                .Where(IsDue(now)).Where(m => m.Id == id)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Status, OutboxStatus.Sending)
                    .SetProperty(m => m.LeaseUntil, leaseUntil)
                    .SetProperty(m => m.Attempts, m => m.Attempts + 1), CancellationToken.None);
        }

        if (claimed != 1)
        {
            return false;
        }

        // From the claim on, the row is carried through without the caller's token: cancelling a send
        // that may have left (a lost broker connection cancels the consume) would strand a delivered
        // reply as Unconfirmed. WeChat:ApiAttemptTimeoutSeconds and the resilience pipeline bound it.
        var message = known is null
            ? await db.OutboxMessages.AsNoTracking().SingleAsync(m => m.Id == id, CancellationToken.None)
            : Claimed(known);
        OutboxAttempt attempt;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            attempt = await _executors[message.Kind].ExecuteAsync(message, scope.ServiceProvider, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogExecutorFailed(logger, ex, message.Kind, id);
            attempt = new OutboxAttempt(WeChatFailure.Transient, 0, ex.GetType().Name + ": " + ex.Message);
        }

        await FinishAsync(db, message, attempt, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Rows whose sender died mid-call (lease expired while Sending): customer-service messages become
    /// Unconfirmed (unless configured to resend), everything else is idempotent and goes back to Pending.
    /// </summary>
    public async Task<int> RecoverAbandonedAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        using var writer = await writeGate.EnterAsync(cancellationToken);
        var resendAll = options.Value.ResendUnconfirmed;
        var unconfirmed = resendAll ? 0 : await db.OutboxMessages
            .Where(m => m.Status == OutboxStatus.Sending && m.LeaseUntil < now && m.Kind == OutboxKind.CustomerServiceMessage)
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.Status, OutboxStatus.Unconfirmed)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(m => m.CompletedAt, now)
                .SetProperty(m => m.LastError, "sender stopped mid-call; the message may or may not have been delivered"), cancellationToken);
        var retried = await db.OutboxMessages
            .Where(m => m.Status == OutboxStatus.Sending && m.LeaseUntil < now)
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.Status, OutboxStatus.Pending)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(m => m.NextAttemptAt, now), cancellationToken);
        if (unconfirmed + retried > 0)
        {
            LogRecovered(logger, unconfirmed, retried);
            for (var i = 0; i < unconfirmed; i++)
            {
                metrics.OutboxCompleted(nameof(OutboxKind.CustomerServiceMessage), nameof(OutboxStatus.Unconfirmed));
            }
        }

        return unconfirmed + retried;
    }

    /// <summary>Ids of pending rows that are due, oldest first.</summary>
    public async Task<IReadOnlyList<Guid>> DueAsync(int limit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.OutboxMessages.AsNoTracking()
            .Where(IsDue(now)).Where(m => m.Kind != OutboxKind.RefreshFollowerProfile)
            .OrderBy(m => m.NextAttemptAt)
            .Select(m => m.Id)
            .Take(limit)
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Profile fetches in batches: the due rows of one account are claimed in one update (tagged with a
    /// claim token, which tells exactly which rows this sender got), fetched with one user-info batch
    /// call and applied in one transaction. If WeChat refuses the batch for good (one bad OpenID
    /// spoils it), each row is tried alone so the others still get their profile.
    /// </summary>
    public async Task<int> SendProfileBatchesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var due = await db.OutboxMessages.AsNoTracking()
            .Where(IsDue(now)).Where(m => m.Kind == OutboxKind.RefreshFollowerProfile)
            .OrderBy(m => m.NextAttemptAt)
            .Take(ProfileBatchSize * 5)
            .Select(m => new { m.Id, m.AppId })
            .ToListAsync(cancellationToken);

        var processed = 0;
        foreach (var account in due.GroupBy(m => m.AppId))
        {
            foreach (var batch in account.Chunk(ProfileBatchSize))
            {
                processed += await SendProfileBatchAsync(db, account.Key, batch.Select(m => m.Id).ToList(), cancellationToken);
            }
        }

        return processed;
    }

    private async Task<int> SendProfileBatchAsync(WeChatDbContext db, string appId, List<Guid> ids, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var leaseUntil = now.AddSeconds(options.Value.LeaseSeconds);
        Guid? token = Guid.NewGuid();
        using (await writeGate.EnterAsync(cancellationToken))
        {
            await db.OutboxMessages
                .Where(IsDue(now)).Where(m => ids.Contains(m.Id))
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Status, OutboxStatus.Sending)
                    .SetProperty(m => m.LeaseUntil, leaseUntil)
                    .SetProperty(m => m.ClaimToken, token)
                    .SetProperty(m => m.Attempts, m => m.Attempts + 1), cancellationToken);
        }

        var rows = await db.OutboxMessages.AsNoTracking().Where(m => m.ClaimToken == token).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return 0;
        }

        var profiles = await management.GetUserInfosAsync(appId, rows.Select(r => r.ToUser).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
        if (profiles.Succeeded)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Mediator.ISender>().Send(new ApplyFollowerProfiles(appId, profiles.Value!), cancellationToken);
        }

        foreach (var row in rows)
        {
            var attempt = OutboxAttempt.From(profiles);
            if (!profiles.Succeeded && !profiles.IsTransient)
            {
                await using var scope = scopes.CreateAsyncScope();
                attempt = await _executors[row.Kind].ExecuteAsync(row, scope.ServiceProvider, cancellationToken);
            }

            await FinishAsync(db, row, attempt, CancellationToken.None);
        }

        return rows.Count;
    }

    private async Task FinishAsync(WeChatDbContext db, OutboxMessage message, OutboxAttempt attempt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var attempts = message.Attempts;
        var status = attempt.Failure switch
        {
            WeChatFailure.None => OutboxStatus.Sent,
            // A token refused even after the client's one retry (refreshed elsewhere again meanwhile) is
            // replaced by the next attempt: worth retrying, unlike a final refusal such as 45015.
            WeChatFailure.Transient or WeChatFailure.InvalidCredential when attempts < options.Value.MaxAttempts => OutboxStatus.Pending,
            WeChatFailure.Ambiguous when message.Kind == OutboxKind.CustomerServiceMessage && !options.Value.ResendUnconfirmed => OutboxStatus.Unconfirmed,
            WeChatFailure.Ambiguous when attempts < options.Value.MaxAttempts => OutboxStatus.Pending,
            _ => OutboxStatus.Failed,
        };
        var retryAt = now + Backoff(attempts);
        var completedAt = status == OutboxStatus.Pending ? (DateTimeOffset?)null : now;
        var error = attempt.Error is { Length: > 500 } text ? text[..500] : attempt.Error;
        int? errorCode = attempt.ErrorCode == 0 ? null : attempt.ErrorCode;

        using var writer = await writeGate.EnterAsync(cancellationToken);
        await db.OutboxMessages
            .Where(m => m.Id == message.Id && m.Status == OutboxStatus.Sending)
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.Status, status)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(m => m.NextAttemptAt, retryAt)
                .SetProperty(m => m.CompletedAt, completedAt)
                .SetProperty(m => m.LastErrorCode, errorCode)
                .SetProperty(m => m.LastError, error), cancellationToken);

        if (status != OutboxStatus.Pending)
        {
            metrics.OutboxCompleted(message.Kind.ToString(), status.ToString());
        }

        if (status != OutboxStatus.Sent)
        {
            LogNotSent(logger, message.Kind, message.Id, message.AppId, status, attempt.Failure, attempt.ErrorCode, attempts);
        }
    }

    /// <summary>The row as the claim left it (one more attempt), from the copy the writer kept.</summary>
    private static OutboxMessage Claimed(OutboxMessage written) => new()
    {
        Id = written.Id,
        AppId = written.AppId,
        Kind = written.Kind,
        ToUser = written.ToUser,
        Payload = written.Payload,
        KfAccount = written.KfAccount,
        Source = written.Source,
        CreatedAt = written.CreatedAt,
        Status = OutboxStatus.Sending,
        Attempts = written.Attempts + 1,
    };

    /// <summary>Pending, its retry time reached, and not leased by another sender.</summary>
    private static Expression<Func<OutboxMessage, bool>> IsDue(DateTimeOffset now) =>
        m => m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now);

    /// <summary>1 s, 2 s, 4 s … capped at 5 minutes.</summary>
    private static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, Math.Max(0, attempts - 1))));

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Outbox {Kind} {OutboxId} for {AppId} is {Status} after attempt {Attempt}: {Failure}, errcode {ErrorCode}")]
    private static partial void LogNotSent(ILogger logger, OutboxKind kind, Guid outboxId, string appId, OutboxStatus status, WeChatFailure failure, int errorCode, int attempt);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Outbox {Kind} {OutboxId} failed unexpectedly; will retry")]
    private static partial void LogExecutorFailed(ILogger logger, Exception exception, OutboxKind kind, Guid outboxId);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Recovered outbox rows abandoned mid-send: {Unconfirmed} unconfirmed customer-service message(s), {Retried} other row(s) retried")]
    private static partial void LogRecovered(ILogger logger, int unconfirmed, int retried);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Immediate send of outbox {OutboxId} failed; the sweeper will retry it")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, Guid outboxId);
}
