using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WeChat.Application.Abstractions;
using WeChat.Application.Contracts;
using WeChat.Domain.Inbox;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// Publishes callbacks that were acknowledged while the broker was down, then deletes them. Rows are
/// claimed with a lease first so that two API instances do not both publish them (if one did anyway,
/// the workers' inbox makes the second copy a no-op). A batch goes out together — the oldest alone
/// first, so a broker that is still down costs one send, not a hundred — because a relay that waited
/// for each confirm in turn drained slower than callbacks arrive at a busy account. A row that cannot
/// be read is parked (leased for good) so that it does not hold up the ones behind it.
/// </summary>
public sealed partial class PendingInboundRelay(
    IDbContextFactory<WeChatDbContext> databases,
    IDatabaseWriteGate writeGate,
    BusInboundMessagePublisher publisher,
    BrokerAvailability broker,
    TimeProvider time,
    ILogger<PendingInboundRelay> logger) : BackgroundService
{
    public const int BatchSize = 100;

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SendWindow = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await RelayAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRelayFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// Publishes everything pending, oldest first, a batch at a time; stops when the broker does not
    /// confirm. The first send of each batch goes through the circuit like a callback's: while it is
    /// open and another send is out probing, the relay waits for that one rather than adding its own.
    /// </summary>
    public async Task<int> RelayAsync(CancellationToken cancellationToken)
    {
        var relayed = 0;
        while (true)
        {
            var attempt = broker.Begin(SendWindow);
            if (!attempt.TriesBroker)
            {
                return relayed;
            }

            bool? firstConfirmed = null;
            Task? firstUnfinished = null;
            try
            {
                await using var db = await databases.CreateDbContextAsync(cancellationToken);
                var now = time.GetUtcNow();
                var batch = await db.PendingInboundMessages.AsNoTracking()
                    .Where(m => m.LeaseUntil == null || m.LeaseUntil < now)
                    .OrderBy(m => m.CreatedAt)
                    .Take(BatchSize)
                    .ToListAsync(cancellationToken);
                if (batch.Count == 0)
                {
                    return relayed;
                }

                List<PendingInboundMessage> claimed;
                using (await writeGate.EnterAsync(cancellationToken))
                {
                    claimed = await ClaimAsync(db, batch, now, cancellationToken);
                }

                if (claimed.Count == 0)
                {
                    continue; // another instance took them; the next query skips its leases
                }

                using var firstWindow = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                firstWindow.CancelAfter(attempt.Window);
                var (firstOutcome, unfinished) = await SendAsync(claimed[0], firstWindow.Token);
                (firstConfirmed, firstUnfinished) = (firstOutcome == RelayOutcome.Unreadable ? null : firstOutcome == RelayOutcome.Confirmed, unfinished);
                var outcomes = new List<(PendingInboundMessage Row, RelayOutcome Outcome)> { (claimed[0], firstOutcome) };
                if (firstOutcome != RelayOutcome.Unconfirmed)
                {
                    using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    window.CancelAfter(SendWindow);
                    outcomes.AddRange(await Task.WhenAll(claimed.Skip(1).Select(async row => (row, (await SendAsync(row, window.Token)).Outcome))));
                }
                else
                {
                    outcomes.AddRange(claimed.Skip(1).Select(row => (row, RelayOutcome.Unconfirmed)));
                }

                var confirmed = Ids(outcomes, RelayOutcome.Confirmed);
                if (confirmed.Count > 0)
                {
                    broker.Confirmed();
                    using (await writeGate.EnterAsync(CancellationToken.None))
                    {
                        await db.PendingInboundMessages.Where(m => confirmed.Contains(m.Id)).ExecuteDeleteAsync(CancellationToken.None);
                    }

                    relayed += confirmed.Count;
                    LogRelayed(logger, confirmed.Count);
                }

                // Parked: kept for an operator (GET /api/ops/pending-inbound counts it), never in the way of the others.
                var unreadable = Ids(outcomes, RelayOutcome.Unreadable);
                await SetLeaseAsync(db, unreadable, DateTimeOffset.MaxValue);

                var unconfirmed = Ids(outcomes, RelayOutcome.Unconfirmed);
                if (unconfirmed.Count > 0)
                {
                    // Back to the queue for the next pass, without waiting out the lease.
                    await SetLeaseAsync(db, unconfirmed, null);
                    return relayed;
                }
            }
            finally
            {
                broker.End(attempt, firstConfirmed, firstUnfinished);
            }
        }
    }

    private static List<Guid> Ids(List<(PendingInboundMessage Row, RelayOutcome Outcome)> outcomes, RelayOutcome outcome) =>
        outcomes.Where(o => o.Outcome == outcome).Select(o => o.Row.Id).ToList();

    private async Task SetLeaseAsync(WeChatDbContext db, List<Guid> ids, DateTimeOffset? leaseUntil)
    {
        if (ids.Count > 0)
        {
            using var writer = await writeGate.EnterAsync(CancellationToken.None);
            await db.PendingInboundMessages.Where(m => ids.Contains(m.Id))
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.LeaseUntil, leaseUntil), CancellationToken.None);
        }
    }

    /// <summary>
    /// Leases each row unless another instance holds it, in one transaction; returns the rows this relay
    /// got, in order. The transaction runs inside the provider's execution strategy (SQL Server's
    /// retrying one refuses a transaction begun outside it), so a retried unit starts from scratch.
    /// Once begun it is not cancelled: on SQLite a cancelled command interrupts the connection, which can
    /// leave the transaction open on a pooled connection (see SqliteGroupCommit).
    /// </summary>
    private static Task<List<PendingInboundMessage>> ClaimAsync(WeChatDbContext db, List<PendingInboundMessage> batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var leaseUntil = now + Lease;
        return db.Database.CreateExecutionStrategy().ExecuteAsync(async _ =>
        {
            var claimed = new List<PendingInboundMessage>(batch.Count);
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            foreach (var pending in batch)
            {
                var updated = await db.PendingInboundMessages
                    .Where(m => m.Id == pending.Id && (m.LeaseUntil == null || m.LeaseUntil < now))
                    .ExecuteUpdateAsync(set => set.SetProperty(m => m.LeaseUntil, leaseUntil).SetProperty(m => m.Attempts, m => m.Attempts + 1), CancellationToken.None);
                if (updated == 1)
                {
                    claimed.Add(pending);
                }
            }

            await transaction.CommitAsync(CancellationToken.None);
            return claimed;
        }, cancellationToken);
    }

    private async Task<(RelayOutcome Outcome, Task? Unfinished)> SendAsync(PendingInboundMessage pending, CancellationToken window)
    {
        InboundMessageReceived message;
        try
        {
            message = JsonSerializer.Deserialize<InboundMessageReceived>(pending.Payload, ContractJson.Options)
                ?? throw new JsonException("The payload is JSON null.");
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, ex, pending.Id, pending.AppId, pending.DedupKey);
            return (RelayOutcome.Unreadable, null);
        }

        var sent = await publisher.TrySendAsync(message, window);
        if (!sent.Confirmed)
        {
            return (RelayOutcome.Unconfirmed, sent.Unfinished);
        }

        LogRelayedOne(logger, message.AppId, message.DedupKey);
        return (RelayOutcome.Confirmed, null);
    }

    private enum RelayOutcome
    {
        Confirmed,
        Unconfirmed,
        Unreadable,
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Relayed {Count} stored callback(s) to the broker")]
    private static partial void LogRelayed(ILogger logger, int count);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Relay of stored callbacks failed; retrying")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Debug, Message = "Relayed stored callback {AppId} {DedupKey} to the broker")]
    private static partial void LogRelayedOne(ILogger logger, string appId, string dedupKey);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "Stored callback {PendingId} ({AppId} {DedupKey}) cannot be read; it is parked in PendingInboundMessages and the others are relayed")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, Guid pendingId, string appId, string dedupKey);
}
