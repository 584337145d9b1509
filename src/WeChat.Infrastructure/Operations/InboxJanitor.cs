using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Operations;

/// <summary>Purges inbox rows past <c>Inbox:RetentionDays</c> every hour (runs in the workers).</summary>
public sealed partial class InboxJanitor(PlatformOperations operations, IOptions<InboxOptions> options, ILogger<InboxJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await operations.PurgeInboxAsync(TimeSpan.FromDays(options.Value.RetentionDays), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Error, Message = "Inbox purge failed; retrying in an hour")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
