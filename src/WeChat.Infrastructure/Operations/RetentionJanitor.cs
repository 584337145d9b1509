using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Operations;

/// <summary>
/// Every hour (in the workers): purges inbox rows past <c>Inbox:RetentionDays</c>, finished outbox
/// rows past <c>Outbox:RetentionDays</c> and units of work's commit records past an hour, a batch per statement.
/// </summary>
public sealed partial class RetentionJanitor(
    PlatformOperations operations,
    IOptions<InboxOptions> inbox,
    IOptions<OutboxOptions> outbox,
    ILogger<RetentionJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            await PurgeAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// Commit records of units of work (SQL Server writes one per unit) are kept an hour: they are looked
    /// for only right after a commit whose answer was lost.
    /// </summary>
    public static readonly TimeSpan UnitOfWorkCommitRetention = TimeSpan.FromHours(1);

    /// <summary>One round. Each purge on its own: one that fails (a table locked for hours) does not keep the others from running.</summary>
    public async Task PurgeAsync(CancellationToken cancellationToken)
    {
        var purges = new (string Table, Func<Task<int>> Purge)[]
        {
            ("inbox", () => operations.PurgeInboxAsync(TimeSpan.FromDays(inbox.Value.RetentionDays), cancellationToken)),
            ("outbox", () => operations.PurgeOutboxAsync(TimeSpan.FromDays(outbox.Value.RetentionDays), cancellationToken)),
            ("unit-of-work commit records", () => operations.PurgeUnitOfWorkCommitsAsync(UnitOfWorkCommitRetention, cancellationToken)),
        };
        foreach (var (table, purge) in purges)
        {
            try
            {
                await purge();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(logger, ex, table);
            }
        }
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Error, Message = "Retention purge of the {Table} failed; retrying in an hour")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception, string table);
}
