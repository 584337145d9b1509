using System.Globalization;
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
/// (Pending and not leased → Sending with a lease), so the fast path, the sweeper and other workers
/// never both act on it. Then it records the outcome: Sent; Pending again with backoff for transient
/// failures; Failed with WeChat's errcode for final ones; Unconfirmed when a customer-service message
/// may or may not have reached WeChat. Each claim tags its rows with a new claim token, which an
/// outcome must match (<see cref="RecordOutcomesAsync"/>): one written late, after the sweeper took the
/// row back and another sender claimed it, does not overwrite the newer attempt's state. Claims and
/// outcomes of concurrent sends are each written in batches (group commit, one turn at the write gate
/// per batch; one statement for the claims, one for the sent outcomes): two writes per reply were most
/// of a worker's database time, and on SQLite every separate write is another turn at the one write
/// gate. A claim is awaited before its send. An outcome only records what already happened: the fast
/// path does not wait for it, the sweeper only at the end of its round, and outcomes gather for
/// <see cref="OutcomeLinger"/> first — a few outcome statements a second under load instead of one
/// per claim batch. Shutdown writes those still queued; a crash before they are written leaves their
/// rows Sending, as a crash during the call would.
/// </summary>
public sealed partial class OutboxSender : IOutboxDispatcher, IAsyncDisposable
{
    /// <summary>The user-info batch API takes at most 100 OpenIDs.</summary>
    public const int ProfileBatchSize = 100;

    /// <summary>Rows per claim or outcome statement: far below any provider's parameter limit.</summary>
    private const int MaxRowsPerWrite = 100;

    /// <summary>Tries at writing an outcome, 0.5 s and 1 s apart (on SQL Server each also retried by the execution strategy).</summary>
    private const int OutcomeWriteAttempts = 3;

    private static readonly TimeSpan OutcomeWriteRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long an outcome waits for others to share its statement: a small part of the fifth of the
    /// lease an attempt leaves for writing it (at least 400 ms).
    /// </summary>
    private static readonly TimeSpan OutcomeLinger = TimeSpan.FromMilliseconds(50);

    private readonly IDbContextFactory<WeChatDbContext> _databases;
    private readonly IServiceScopeFactory _scopes;
    private readonly IDatabaseWriteGate _writeGate;
    private readonly IWeChatManagementApi _management;
    private readonly IOptions<OutboxOptions> _options;
    private readonly WeChatMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxSender> _logger;
    private readonly Dictionary<OutboxKind, IOutboxExecutor> _executors;
    private readonly GroupCommit<Guid, Guid?> _claims;
    private readonly GroupCommit<Outcome, bool> _outcomes;

    /// <summary>Outcomes queued by sends that did not wait for them; guarded by itself.</summary>
    private readonly HashSet<Task> _outcomesInFlight = [];

    public OutboxSender(
        IDbContextFactory<WeChatDbContext> databases,
        IEnumerable<IOutboxExecutor> executors,
        IServiceScopeFactory scopes,
        IDatabaseWriteGate writeGate,
        IWeChatManagementApi management,
        IOptions<OutboxOptions> options,
        WeChatMetrics metrics,
        TimeProvider time,
        ILogger<OutboxSender> logger)
    {
        _databases = databases;
        _scopes = scopes;
        _writeGate = writeGate;
        _management = management;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _executors = executors.ToDictionary(e => e.Kind);
        _claims = new GroupCommit<Guid, Guid?>(ClaimBatchAsync, MaxRowsPerWrite, EnterWriteGateAsync);

        // The linger runs on the system clock, not _time: a test's frozen clock would hold outcomes for ever.
        _outcomes = new GroupCommit<Outcome, bool>(RecordOutcomeBatchAsync, MaxRowsPerWrite, EnterWriteGateAsync, OutcomeLinger);
    }

    /// <summary>The fast path after a commit: send each row now, in the order written, without reading it back.</summary>
    public async Task DispatchAsync(IReadOnlyList<OutboxMessage> committed, CancellationToken cancellationToken)
    {
        foreach (var message in committed)
        {
            try
            {
                await SendRecordingLaterAsync(message.Id, message, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The row stays claimed or pending; the sweeper takes over. The handler already committed.
                LogDispatchFailed(_logger, ex, message.Id);
            }
        }
    }

    /// <summary>Claims, sends and records one row; false if someone else has it or it is not due.</summary>
    public async Task<bool> SendAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await SendAsync(id, known: null, cancellationToken) is not { } outcome)
        {
            return false;
        }

        await outcome;
        return true;
    }

    /// <summary>
    /// Claims and sends one row, its outcome written in the background (<see cref="OutcomesRecordedAsync"/>
    /// waits for it); false if someone else has it or it is not due.
    /// </summary>
    public Task<bool> SendRecordingLaterAsync(Guid id, CancellationToken cancellationToken) => SendRecordingLaterAsync(id, known: null, cancellationToken);

    /// <summary>Completes once every outcome queued so far by sends that did not wait for it is written or given up.</summary>
    public Task OutcomesRecordedAsync()
    {
        lock (_outcomesInFlight)
        {
            return Task.WhenAll([.. _outcomesInFlight]);
        }
    }

    private async Task<bool> SendRecordingLaterAsync(Guid id, OutboxMessage? known, CancellationToken cancellationToken)
    {
        if (await SendAsync(id, known, cancellationToken) is not { } outcome)
        {
            return false;
        }

        RecordInBackground(outcome, id);
        return true;
    }

    /// <summary>Claims and sends one row; null if someone else has it or it is not due, else the writing of its outcome.</summary>
    private async Task<Task?> SendAsync(Guid id, OutboxMessage? known, CancellationToken cancellationToken)
    {
        // Once queued, the claim is awaited whatever the caller's token says: a claimed row nobody sends
        // would sit in Sending until its lease ran out and then count as Unconfirmed.
        cancellationToken.ThrowIfCancellationRequested();

        // The sweeper knows only the id. The row is read before the claim, so a read that fails leaves it
        // as it was; read after, it would be left Sending and count as Unconfirmed once the lease ran
        // out, though it never left. Its attempt count can be one behind if another sender tried it in
        // between: at worst one more try.
        known ??= await ReadAsync(id);
        if (known is null || await _claims.WriteAsync(id) is not { } claimToken)
        {
            return null;
        }

        // From the claim on, the row is carried through without the caller's token: cancelling a send
        // that may have left (a lost broker connection cancels the consume) would strand a delivered
        // reply as Unconfirmed. WeChat:ApiAttemptTimeoutSeconds and the resilience pipeline bound each
        // call; the attempt as a whole ends before the claim's lease (below).
        var message = Claimed(known, claimToken);

        // Past the lease the sweeper takes the row back (a customer-service message as Unconfirmed, other
        // work to be done again) while this attempt would still be going — two senders at once, and this
        // one's outcome landing on a row it no longer holds. A token wait behind another process's
        // refresh, a retried call and a hand-off's several calls can add up to that, so the attempt
        // ends first, as one whose effect is unknown.
        var attemptLimit = AttemptLimit;
        using var attemptDeadline = new CancellationTokenSource(attemptLimit, _time);
        OutboxAttempt attempt;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            attempt = await _executors[message.Kind].ExecuteAsync(message, scope.ServiceProvider, attemptDeadline.Token);
        }
        catch (OperationCanceledException) when (attemptDeadline.IsCancellationRequested)
        {
            attempt = new OutboxAttempt(WeChatFailure.Ambiguous, 0, string.Create(CultureInfo.InvariantCulture, $"no outcome within {attemptLimit.TotalSeconds:0.#} s, ended before the claim's lease ran out"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogExecutorFailed(_logger, ex, message.Kind, id);
            attempt = new OutboxAttempt(WeChatFailure.Transient, 0, ex.GetType().Name + ": " + ex.Message);
        }

        return FinishAsync(message, claimToken, attempt);
    }

    /// <summary>Keeps an outcome nobody waits for until it is written (shutdown waits for it) and logs it if it never is.</summary>
    private void RecordInBackground(Task outcome, Guid id)
    {
        var recording = LogIfLostAsync(outcome, id);
        lock (_outcomesInFlight)
        {
            _outcomesInFlight.Add(recording);
        }

        _ = recording.ContinueWith(
            static (done, state) =>
            {
                var inFlight = (HashSet<Task>)state!;
                lock (inFlight)
                {
                    inFlight.Remove(done);
                }
            },
            _outcomesInFlight,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task LogIfLostAsync(Task outcome, Guid id)
    {
        try
        {
            await outcome;
        }
        catch (Exception ex)
        {
            LogOutcomeLost(_logger, ex, id);
        }
    }

    private async ValueTask<IDisposable?> EnterWriteGateAsync() => await _writeGate.EnterAsync(CancellationToken.None);

    private async Task<OutboxMessage?> ReadAsync(Guid id)
    {
        await using var db = await _databases.CreateDbContextAsync(CancellationToken.None);
        return await db.OutboxMessages.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, CancellationToken.None);
    }

    /// <summary>
    /// A batch of claims (fast path, sweeper), written under the write gate (the group commit holds it)
    /// in one statement, which the execution strategy retries with the same token, so a retry after an
    /// unclear commit still finds its rows. One result per claim, in order: its token if it won the row,
    /// else null.
    /// </summary>
    private async Task<IReadOnlyList<Guid?>> ClaimBatchAsync(IReadOnlyList<Guid> ids)
    {
        await using var db = await _databases.CreateDbContextAsync();
        var (token, won) = await ClaimAsync(db, ids.Distinct().ToList());

        // The same row asked for twice in one batch (fast path and sweeper) is claimed once: the first asker gets it.
        return ids.Select(id => won.Remove(id) ? token : (Guid?)null).ToList();
    }

    /// <summary>
    /// A batch of outcomes, under the write gate. Not in a claim batch's transaction: on SQL Server that
    /// would hold the outcome rows' locks while claiming rows another worker's batch holds (deadlocks).
    /// </summary>
    private async Task<IReadOnlyList<bool>> RecordOutcomeBatchAsync(IReadOnlyList<Outcome> outcomes)
    {
        await using var db = await _databases.CreateDbContextAsync();
        await RecordOutcomesAsync(db, outcomes);
        return [.. outcomes.Select(_ => true)];
    }

    /// <summary>The rows of <paramref name="ids"/> this batch claimed, and the token they carry now.</summary>
    private async Task<(Guid Token, HashSet<Guid> Claimed)> ClaimAsync(WeChatDbContext db, List<Guid> ids)
    {
        if (ids.Count == 0)
        {
            return (Guid.Empty, []);
        }

        var (token, claimed) = await ClaimDueAsync(db, ids, CancellationToken.None);
        if (claimed == ids.Count)
        {
            return (token, ids.ToHashSet());
        }

        try
        {
            return (token, (await db.OutboxMessages.AsNoTracking().Where(m => ids.Contains(m.Id) && m.ClaimToken == token).Select(m => m.Id).ToListAsync()).ToHashSet());
        }
        catch
        {
            // Its claimers never learn they won: rows left Sending would count as Unconfirmed once the lease
            // ran out, though none left. Given back as they were; if this fails too, the lease decides.
            Guid? claimToken = token;
            await db.OutboxMessages
                .Where(m => ids.Contains(m.Id) && (int)m.Status + 0 == (int)OutboxStatus.Sending && m.ClaimToken == claimToken)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Status, OutboxStatus.Pending)
                    .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(m => m.Attempts, m => m.Attempts - 1));
            throw;
        }
    }

    /// <summary>
    /// One conditional update for many rows: every due one becomes Sending under a lease, tagged with a
    /// new claim token. If fewer rows changed than were asked for, the token tells which ones. The
    /// caller holds the write gate.
    /// </summary>
    private async Task<(Guid Token, int Claimed)> ClaimDueAsync(WeChatDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var leaseUntil = now.AddSeconds(_options.Value.LeaseSeconds);
        Guid? token = Guid.NewGuid();
        var claimed = await db.OutboxMessages
            .Where(IsDueAmong(ids, now))
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.Status, OutboxStatus.Sending)
                .SetProperty(m => m.LeaseUntil, leaseUntil)
                .SetProperty(m => m.ClaimToken, token)
                .SetProperty(m => m.Attempts, m => m.Attempts + 1), CancellationToken.None);
        return (token.Value, claimed);
    }

    /// <summary>
    /// Rows whose sender died mid-call (lease expired while Sending): customer-service messages become
    /// Unconfirmed (unless configured to resend), everything else is idempotent and goes back to Pending.
    /// </summary>
    public async Task<int> RecoverAbandonedAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var db = await _databases.CreateDbContextAsync(cancellationToken);
        using var writer = await _writeGate.EnterAsync(cancellationToken);
        var resendAll = _options.Value.ResendUnconfirmed;
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
            LogRecovered(_logger, unconfirmed, retried);
            for (var i = 0; i < unconfirmed; i++)
            {
                _metrics.OutboxCompleted(nameof(OutboxKind.CustomerServiceMessage), nameof(OutboxStatus.Unconfirmed));
            }
        }

        return unconfirmed + retried;
    }

    /// <summary>Ids of pending rows that are due, oldest first.</summary>
    public async Task<IReadOnlyList<Guid>> DueAsync(int limit, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var db = await _databases.CreateDbContextAsync(cancellationToken);
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
        var now = _time.GetUtcNow();
        await using var db = await _databases.CreateDbContextAsync(cancellationToken);
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
        Guid token;
        using (await _writeGate.EnterAsync(cancellationToken))
        {
            (token, _) = await ClaimDueAsync(db, ids, cancellationToken);
        }

        // By id first: no index has the token, and the outbox holds every reply of the retention period.
        var rows = await db.OutboxMessages.AsNoTracking().Where(m => ids.Contains(m.Id) && m.ClaimToken == token).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return 0;
        }

        var profiles = await _management.GetUserInfosAsync(appId, rows.Select(r => r.ToUser).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
        if (profiles.Succeeded)
        {
            await using var scope = _scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Mediator.ISender>().Send(new ApplyFollowerProfiles(appId, profiles.Value!), cancellationToken);
        }

        // The outcomes gather into one statement: awaited one by one, each would wait out the linger.
        var outcomes = new List<Task>(rows.Count);
        try
        {
            foreach (var row in rows)
            {
                var attempt = OutboxAttempt.From(profiles);
                if (!profiles.Succeeded && !profiles.IsTransient)
                {
                    await using var scope = _scopes.CreateAsyncScope();
                    attempt = await _executors[row.Kind].ExecuteAsync(row, scope.ServiceProvider, cancellationToken);
                }

                outcomes.Add(FinishAsync(row, token, attempt));
            }
        }
        catch
        {
            // The rows tried so far still get their outcomes; the failure is the caller's to see.
            foreach (var (outcome, row) in outcomes.Zip(rows))
            {
                RecordInBackground(outcome, row.Id);
            }

            throw;
        }

        await Task.WhenAll(outcomes);
        return rows.Count;
    }

    private async Task FinishAsync(OutboxMessage message, Guid claimToken, OutboxAttempt attempt)
    {
        var attempts = message.Attempts;
        var maxAttempts = _options.Value.MaxAttempts;
        var status = attempt.Failure switch
        {
            WeChatFailure.None => OutboxStatus.Sent,
            // A token refused even after the client's one retry (refreshed elsewhere again meanwhile) is
            // replaced by the next attempt: worth retrying, unlike a final refusal such as 45015.
            WeChatFailure.Transient or WeChatFailure.InvalidCredential when attempts < maxAttempts => OutboxStatus.Pending,
            WeChatFailure.Ambiguous when message.Kind == OutboxKind.CustomerServiceMessage && !_options.Value.ResendUnconfirmed => OutboxStatus.Unconfirmed,
            WeChatFailure.Ambiguous when attempts < maxAttempts => OutboxStatus.Pending,
            _ => OutboxStatus.Failed,
        };
        var error = attempt.Error is { Length: > 500 } text ? text[..500] : attempt.Error;
        int? errorCode = attempt.ErrorCode == 0 ? null : attempt.ErrorCode;

        await RecordAsync(new Outcome(message.Id, claimToken, status, Backoff(attempts), errorCode, error));

        if (status != OutboxStatus.Pending)
        {
            _metrics.OutboxCompleted(message.Kind.ToString(), status.ToString());
        }

        if (status != OutboxStatus.Sent)
        {
            LogNotSent(_logger, message.Kind, message.Id, message.AppId, status, attempt.Failure, attempt.ErrorCode, attempts);
        }
    }

    /// <summary>
    /// Writes an outcome, trying again a few times if its batch fails: an outcome never written leaves
    /// the row Sending, and once the lease runs out the sweeper takes a reply that was delivered for one
    /// that may have been. A try that lands after the row changed hands is dropped (the claim token).
    /// </summary>
    private async Task RecordAsync(Outcome outcome)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _outcomes.WriteAsync(outcome);
                return;
            }
            catch (Exception ex) when (attempt < OutcomeWriteAttempts && ex is not ObjectDisposedException)
            {
                LogOutcomeWriteFailed(_logger, ex, outcome.Id, attempt);
                await Task.Delay(OutcomeWriteRetryDelay * attempt, _time);
            }
        }
    }

    /// <summary>
    /// Outcomes of claimed rows, each only if the row is still held by a claim (Sending, the status tested
    /// as in <see cref="IsDueAmong"/>). The rest one by one, each with its own claim's token: a late
    /// Pending or Failed on a row another sender has claimed since would open it to a third sender while
    /// the second is still sending. The sent ones (nearly all) in one statement, with any of their claims'
    /// tokens: a row whose token matches another row's claim rather than its own outcome's was claimed
    /// again in the same batch as that row, and its earlier claim did reach WeChat, so Sent is the truth.
    /// </summary>
    private async Task RecordOutcomesAsync(WeChatDbContext db, IReadOnlyList<Outcome> outcomes)
    {
        var now = _time.GetUtcNow();
        var sent = outcomes.Where(o => o.Status == OutboxStatus.Sent).ToList();
        if (sent.Count > 0)
        {
            var ids = sent.ConvertAll(o => o.Id);
            var tokens = sent.Select(o => (Guid?)o.ClaimToken).Distinct().ToList();
            await db.OutboxMessages
                .Where(m => ids.Contains(m.Id) && (int)m.Status + 0 == (int)OutboxStatus.Sending && tokens.Contains(m.ClaimToken))
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Status, OutboxStatus.Sent)
                    .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(m => m.CompletedAt, now)
                    .SetProperty(m => m.LastErrorCode, (int?)null)
                    .SetProperty(m => m.LastError, (string?)null));
        }

        foreach (var outcome in outcomes.Where(o => o.Status != OutboxStatus.Sent))
        {
            var completedAt = outcome.Status == OutboxStatus.Pending ? (DateTimeOffset?)null : now;
            Guid? token = outcome.ClaimToken;
            await db.OutboxMessages
                .Where(m => m.Id == outcome.Id && (int)m.Status + 0 == (int)OutboxStatus.Sending && m.ClaimToken == token)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Status, outcome.Status)
                    .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(m => m.NextAttemptAt, now + outcome.RetryAfter)
                    .SetProperty(m => m.CompletedAt, completedAt)
                    .SetProperty(m => m.LastErrorCode, outcome.ErrorCode)
                    .SetProperty(m => m.LastError, outcome.Error));
        }
    }

    /// <summary>How long one attempt may take: four fifths of the lease, leaving the rest for writing its outcome.</summary>
    private TimeSpan AttemptLimit => TimeSpan.FromSeconds(_options.Value.LeaseSeconds * 0.8);

    /// <summary>
    /// Writes what is still queued, then stops the writers: claims first, so no send starts once its
    /// outcome could no longer be written; then every outcome nobody waited for.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _claims.DisposeAsync();
        await OutcomesRecordedAsync();
        await _outcomes.DisposeAsync();
    }

    /// <summary>The row as the claim left it (one more attempt, the claim's token), from the copy read or written before it.</summary>
    private static OutboxMessage Claimed(OutboxMessage written, Guid claimToken) => new()
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
        ClaimToken = claimToken,
        Attempts = written.Attempts + 1,
    };

    /// <summary>Pending, its retry time reached, and not leased by another sender.</summary>
    private static Expression<Func<OutboxMessage, bool>> IsDue(DateTimeOffset now) =>
        m => m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now);

    /// <summary>
    /// <see cref="IsDue"/> among rows named by id, its status tested as <c>Status + 0</c>, which no index
    /// can serve: as a plain equality SQLite, without statistics, prefers the (Status, NextAttemptAt)
    /// index to the ids' primary key and reads every due row to find a handful — thousands of rows in
    /// each claim after a WeChat outage, with the write gate held. <c>QueryPlanTests</c> checks that
    /// statements for given rows go by their key.
    /// </summary>
    private static Expression<Func<OutboxMessage, bool>> IsDueAmong(IReadOnlyCollection<Guid> ids, DateTimeOffset now) =>
        m => ids.Contains(m.Id) && (int)m.Status + 0 == (int)OutboxStatus.Pending && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now);

    private sealed record Outcome(Guid Id, Guid ClaimToken, OutboxStatus Status, TimeSpan RetryAfter, int? ErrorCode, string? Error);

    /// <summary>1 s, 2 s, 4 s … capped at 5 minutes.</summary>
    private static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, Math.Max(0, attempts - 1))));

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Outbox {Kind} {OutboxId} for {AppId} is {Status} after attempt {Attempt}: {Failure}, errcode {ErrorCode}")]
    private static partial void LogNotSent(ILogger logger, OutboxKind kind, Guid outboxId, string appId, OutboxStatus status, WeChatFailure failure, int errorCode, int attempt);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Outbox {Kind} {OutboxId} failed unexpectedly; will retry")]
    private static partial void LogExecutorFailed(ILogger logger, Exception exception, OutboxKind kind, Guid outboxId);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Recovered outbox rows abandoned mid-send: {Unconfirmed} unconfirmed customer-service message(s), {Retried} other row(s) retried")]
    private static partial void LogRecovered(ILogger logger, int unconfirmed, int retried);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Writing the outcome of outbox {OutboxId} failed (try {Try}); trying again")]
    private static partial void LogOutcomeWriteFailed(ILogger logger, Exception exception, Guid outboxId, int @try);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "The outcome of outbox {OutboxId} could not be written; the row stays Sending until its lease runs out")]
    private static partial void LogOutcomeLost(ILogger logger, Exception exception, Guid outboxId);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Immediate send of outbox {OutboxId} failed; the sweeper will retry it")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, Guid outboxId);
}
