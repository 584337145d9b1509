using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using WeChat.Application.Abstractions;
using WeChat.Application.Configuration;
using WeChat.Domain.Credentials;
using WeChat.Domain.Outbox;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.Operations;

/// <summary>A credential's state, never its value.</summary>
public sealed record CredentialStatus(string AppId, CredentialKind Kind, long Version, DateTimeOffset ExpiresAt, DateTimeOffset? RefreshedAt, bool Valid, bool Refreshing);

public sealed record OutboxCount(string AppId, OutboxKind Kind, OutboxStatus Status, int Count);

/// <summary>Thrown when an operation does not apply to this deployment (e.g. no broker in embedded mode).</summary>
public sealed class OperationNotAvailableException(string message) : Exception(message);

/// <summary>
/// What an operator does by hand: look at tokens and the outbox, requeue failed or unconfirmed
/// sends, purge old inbox and outbox rows, and move messages from the error queue back to the inbound queue.
/// </summary>
public sealed partial class PlatformOperations(
    IDbContextFactory<WeChatDbContext> databases,
    IDatabaseWriteGate writeGate,
    IOptions<MessagingOptions> messaging,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<PlatformOperations> logger)
{
    public async Task<IReadOnlyList<CredentialStatus>> CredentialsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return (await db.Credentials.AsNoTracking().OrderBy(c => c.AppId).ThenBy(c => c.Kind).ToListAsync(cancellationToken))
            .Select(c => new CredentialStatus(c.AppId, c.Kind, c.Version, c.ExpiresAt, c.RefreshedAt, c.ExpiresAt > now, c.LeaseUntil > now))
            .ToList();
    }

    public async Task<IReadOnlyList<OutboxCount>> OutboxSummaryAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.OutboxMessages.AsNoTracking()
            .GroupBy(m => new { m.AppId, m.Kind, m.Status })
            .Select(g => new OutboxCount(g.Key.AppId, g.Key.Kind, g.Key.Status, g.Count()))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Puts Failed or Unconfirmed rows back to Pending (attempts reset), for one account or all.</summary>
    public async Task<int> RequeueOutboxAsync(OutboxStatus status, string? appId, CancellationToken cancellationToken)
    {
        if (status is not (OutboxStatus.Failed or OutboxStatus.Unconfirmed))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Only Failed or Unconfirmed rows can be requeued.");
        }

        var now = time.GetUtcNow();
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        using var writer = await writeGate.EnterAsync(cancellationToken);
        var requeued = await db.OutboxMessages
            .Where(m => m.Status == status && (appId == null || m.AppId == appId))
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.Status, OutboxStatus.Pending)
                .SetProperty(m => m.Attempts, 0)
                .SetProperty(m => m.NextAttemptAt, now)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(m => m.CompletedAt, (DateTimeOffset?)null), cancellationToken);
        LogRequeued(logger, requeued, status, appId ?? "all accounts");
        return requeued;
    }

    /// <summary>
    /// Rows deleted per statement: each purge statement holds the database's write lock only briefly,
    /// and on SQL Server stays below the 5,000 locks at which it escalates to a table lock (which would
    /// hold up every worker's inserts into the table until the statement ends).
    /// </summary>
    public const int PurgeBatchSize = 4000;

    /// <summary>Deletes inbox rows processed before the cutoff. Deduplication only needs them for WeChat's retry window and broker redeliveries.</summary>
    public async Task<int> PurgeInboxAsync(TimeSpan olderThan, CancellationToken cancellationToken, int batchSize = PurgeBatchSize)
    {
        var cutoff = time.GetUtcNow() - olderThan;
        var purged = await PurgeAsync(db => db.InboxEntries.Where(e => e.ProcessedAt < cutoff).OrderBy(e => e.ProcessedAt), batchSize, cancellationToken);
        LogPurged(logger, purged, "inbox", cutoff);
        return purged;
    }

    /// <summary>Deletes the commit records of units of work older than the cutoff: they are looked up only seconds after their commit.</summary>
    public async Task<int> PurgeUnitOfWorkCommitsAsync(TimeSpan olderThan, CancellationToken cancellationToken, int batchSize = PurgeBatchSize)
    {
        var cutoff = time.GetUtcNow() - olderThan;
        var purged = await PurgeAsync(db => db.UnitOfWorkCommits.Where(c => c.CommittedAt < cutoff).OrderBy(c => c.CommittedAt), batchSize, cancellationToken);
        LogPurged(logger, purged, "unit-of-work commit records", cutoff);
        return purged;
    }

    /// <summary>
    /// Deletes outbox rows that finished (Sent, Failed, Unconfirmed) before the cutoff. Pending and
    /// Sending rows are never touched, however old: they are work still to do.
    /// </summary>
    public async Task<int> PurgeOutboxAsync(TimeSpan olderThan, CancellationToken cancellationToken, int batchSize = PurgeBatchSize)
    {
        var cutoff = time.GetUtcNow() - olderThan;
        var purged = await PurgeAsync(
            db => db.OutboxMessages
                .Where(m => (m.Status == OutboxStatus.Sent || m.Status == OutboxStatus.Failed || m.Status == OutboxStatus.Unconfirmed) && m.CompletedAt < cutoff)
                .OrderBy(m => m.Status).ThenBy(m => m.NextAttemptAt),
            batchSize,
            cancellationToken);
        LogPurged(logger, purged, "outbox", cutoff);
        return purged;
    }

    /// <summary>
    /// Deletes the rows <paramref name="purgeable"/> selects, <paramref name="batchSize"/> per statement, until none are left.
    /// Each query is ordered along an index (the oldest first, found without sorting), which also tells
    /// EF which rows a batch means.
    /// </summary>
    private async Task<int> PurgeAsync<TRow>(Func<WeChatDbContext, IOrderedQueryable<TRow>> purgeable, int batchSize, CancellationToken cancellationToken)
    {
        var purged = 0;
        int deleted;
        do
        {
            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            using var writer = await writeGate.EnterAsync(cancellationToken);
            deleted = await purgeable(db).Take(batchSize).ExecuteDeleteAsync(cancellationToken);
            purged += deleted;
        }
        while (deleted == batchSize);

        return purged;
    }

    public async Task<int> PendingInboundCountAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.PendingInboundMessages.CountAsync(cancellationToken);
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> messages from <c>{queue}_error</c> back to the inbound queue,
    /// each published with a broker confirm before it is removed from the error queue. MassTransit's
    /// fault headers are dropped, so a message that fails again lands in the error queue afresh.
    /// </summary>
    public async Task<int> ReplayErrorQueueAsync(int max, CancellationToken cancellationToken)
    {
        if (messaging.Value.Transport != MessagingTransport.RabbitMq)
        {
            throw new OperationNotAvailableException("There is no error queue with the in-memory transport.");
        }

        var queue = messaging.Value.InboundQueueName;
        var factory = new ConnectionFactory { Uri = DependencyInjection.RabbitMqAddress(configuration) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);

        var moved = 0;
        while (moved < max && await channel.BasicGetAsync($"{queue}_error", autoAck: false, cancellationToken) is { } delivery)
        {
            var properties = new BasicProperties(delivery.BasicProperties)
            {
                Headers = delivery.BasicProperties.Headers?
                    .Where(header => !header.Key.StartsWith("MT-Fault", StringComparison.Ordinal) && !header.Key.StartsWith("MT-Reason", StringComparison.Ordinal))
                    .ToDictionary(header => header.Key, header => header.Value),
            };
            // MassTransit binds an exchange named like the queue to it; publishing there is a send to the queue.
            await channel.BasicPublishAsync(queue, string.Empty, mandatory: true, properties, delivery.Body, cancellationToken);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
            moved++;
        }

        LogReplayed(logger, moved, queue);
        return moved;
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Operator requeued {Count} {Status} outbox row(s) for {Scope}")]
    private static partial void LogRequeued(ILogger logger, int count, OutboxStatus status, string scope);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Purged {Count} {Table} row(s) finished before {Cutoff}")]
    private static partial void LogPurged(ILogger logger, int count, string table, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Operator replayed {Count} message(s) from {Queue}_error")]
    private static partial void LogReplayed(ILogger logger, int count, string queue);
}
