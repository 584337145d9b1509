using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// Declares the inbound queue (<see cref="InboundQueueTopology"/>) from the API side, so callbacks reach
/// a durable queue before any worker has started. MassTransit declares only classic queues from the
/// sending side, hence the broker client here. Declared at start (retried while the broker is away)
/// and again whenever a send comes back unroutable (the queue was deleted).
/// </summary>
public sealed partial class InboundQueueDeclaration(
    IConfiguration configuration,
    IOptions<MessagingOptions> options,
    TimeProvider time,
    ILogger<InboundQueueDeclaration> logger) : BackgroundService
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Asks for another declaration (a send was returned: nothing is bound to the exchange).</summary>
    public void Request() => _requests.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Transport != MessagingTransport.RabbitMq)
        {
            return;
        }

        var queue = options.Value.InboundQueueName;
        var factory = new ConnectionFactory
        {
            Uri = DependencyInjection.RabbitMqAddress(configuration),
            ClientProvidedName = "wechat-api-topology",
        };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using (var connection = await factory.CreateConnectionAsync(stoppingToken))
                await using (var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken))
                {
                    await InboundQueueTopology.DeclareAsync(channel, queue, stoppingToken);
                }

                LogDeclared(logger, queue);
                await _requests.Reader.ReadAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex, queue, RetryInterval.TotalSeconds);
                await Task.Delay(RetryInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Inbound queue {Queue} declared (quorum) with its exchange")]
    private static partial void LogDeclared(ILogger logger, string queue);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Could not declare inbound queue {Queue}; trying again in {Seconds} s (callbacks are stored for relay meanwhile)")]
    private static partial void LogFailed(ILogger logger, Exception exception, string queue, double seconds);
}
