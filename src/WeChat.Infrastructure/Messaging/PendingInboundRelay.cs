using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WeChat.Application.Contracts;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// Publishes callbacks that were acknowledged while the broker was down, then deletes them. A row is
/// claimed with a lease first so that two API instances do not both publish it (if one did anyway,
/// the workers' inbox makes the second copy a no-op).
/// </summary>
public sealed partial class PendingInboundRelay(
    IDbContextFactory<WeChatDbContext> databases,
    BusInboundMessagePublisher publisher,
    BrokerAvailability broker,
    TimeProvider time,
    ILogger<PendingInboundRelay> logger) : BackgroundService
{
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

    /// <summary>Publishes everything pending, oldest first; stops at the first failure (the broker is still down).</summary>
    public async Task<int> RelayAsync(CancellationToken cancellationToken)
    {
        var relayed = 0;
        while (true)
        {
            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow();
            var batch = await db.PendingInboundMessages.AsNoTracking()
                .Where(m => m.LeaseUntil == null || m.LeaseUntil < now)
                .OrderBy(m => m.CreatedAt)
                .Take(100)
                .ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return relayed;
            }

            foreach (var pending in batch)
            {
                var leaseUntil = now + Lease;
                var claimed = await db.PendingInboundMessages
                    .Where(m => m.Id == pending.Id && (m.LeaseUntil == null || m.LeaseUntil < now))
                    .ExecuteUpdateAsync(set => set.SetProperty(m => m.LeaseUntil, leaseUntil).SetProperty(m => m.Attempts, m => m.Attempts + 1), cancellationToken);
                if (claimed != 1)
                {
                    continue;
                }

                var message = JsonSerializer.Deserialize<InboundMessageReceived>(pending.Payload, ContractJson.Options)!;
                using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                window.CancelAfter(SendWindow);
                if (!await publisher.TrySendAsync(message, window.Token))
                {
                    await db.PendingInboundMessages.Where(m => m.Id == pending.Id)
                        .ExecuteUpdateAsync(set => set.SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
                    return relayed;
                }

                broker.Succeeded();
                await db.PendingInboundMessages.Where(m => m.Id == pending.Id).ExecuteDeleteAsync(CancellationToken.None);
                relayed++;
                LogRelayed(logger, message.AppId, message.DedupKey);
            }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Relayed stored callback {AppId} {DedupKey} to the broker")]
    private static partial void LogRelayed(ILogger logger, string appId, string dedupKey);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Relay of stored callbacks failed; retrying")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
