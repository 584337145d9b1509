using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Outbox;

/// <summary>
/// The safety net behind the fast path: recovers rows whose sender died mid-send and sends every
/// row that is due (retries after transient failures, rows written just before a crash, scheduled
/// template fan-out). Runs in every worker; claims keep them from sending a row twice.
/// </summary>
public sealed partial class OutboxSweeper(OutboxSender sender, IOptions<OutboxOptions> options, ILogger<OutboxSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.SweepIntervalMilliseconds);
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One round: recover abandoned rows, then send what is due until nothing is left.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        await sender.RecoverAbandonedAsync(cancellationToken);
        while (await sender.SendProfileBatchesAsync(cancellationToken) >= OutboxSender.ProfileBatchSize)
        {
            // A full batch means more may be due.
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxConcurrentSends, CancellationToken = cancellationToken };
        while (true)
        {
            var due = await sender.DueAsync(options.Value.BatchSize, cancellationToken);
            if (due.Count == 0)
            {
                return;
            }

            var sent = 0;
            await Parallel.ForEachAsync(due, parallel, async (id, ct) =>
            {
                try
                {
                    if (await sender.SendRecordingLaterAsync(id, ct))
                    {
                        Interlocked.Increment(ref sent);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One row that fails (it cannot be read) must not end the round for the rows behind it:
                    // it keeps the oldest retry time, so it would head every round's list.
                    LogRowFailed(logger, ex, id);
                }
            });

            // Outcomes gather for a moment before they are written; the round ends once those queued so far are.
            await sender.OutcomesRecordedAsync();
            if (sent == 0 || due.Count < options.Value.BatchSize)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Outbox {OutboxId} could not be sent this round; the sweep goes on with the rest")]
    private static partial void LogRowFailed(ILogger logger, Exception exception, Guid outboxId);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "Outbox sweep failed; retrying next round")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
