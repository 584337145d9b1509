using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Operations;

/// <summary>
/// Every hour (in the workers): purges inbox rows past <c>Inbox:RetentionDays</c> and finished outbox
/// rows past <c>Outbox:RetentionDays</c>, a batch per statement.
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

    /// <summary>One round. Each purge on its own: one that fails (a table locked for hours) does not keep the other from running.</summary>
    public async Task PurgeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await operations.PurgeInboxAsync(TimeSpan.FromDays(inbox.Value.RetentionDays), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPurgeFailed(logger, ex, "inbox");
        }

        try
        {
            await operations.PurgeOutboxAsync(TimeSpan.FromDays(outbox.Value.RetentionDays), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPurgeFailed(logger, ex, "outbox");
        }
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Error, Message = "Retention purge of the {Table} failed; retrying in an hour")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception, string table);
}
