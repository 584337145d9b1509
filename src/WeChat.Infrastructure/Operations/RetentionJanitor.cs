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
            try
            {
                await operations.PurgeInboxAsync(TimeSpan.FromDays(inbox.Value.RetentionDays), stoppingToken);
                await operations.PurgeOutboxAsync(TimeSpan.FromDays(outbox.Value.RetentionDays), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Error, Message = "Retention purge failed; retrying in an hour")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
