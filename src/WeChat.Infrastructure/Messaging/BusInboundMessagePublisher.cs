using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Configuration;
using WeChat.Application.Contracts;

namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// Sends accepted callbacks to the inbound queue and returns once the broker confirmed them
/// (MassTransit waits for the RabbitMQ publisher confirm). Sending to the queue address, rather than
/// publishing to an exchange, declares the durable queue and its binding on first use, so a
/// message is never dropped because no worker has started yet.
/// </summary>
public sealed partial class BusInboundMessagePublisher(
    IBus bus,
    IOptions<MessagingOptions> options,
    ILogger<BusInboundMessagePublisher> logger) : IInboundMessagePublisher
{
    private readonly Uri _queue = new($"queue:{options.Value.InboundQueueName}");
    private readonly TimeSpan _attemptTimeout = TimeSpan.FromMilliseconds(options.Value.PublishAttemptTimeoutMilliseconds);

    public async ValueTask<PublishOutcome> PublishAsync(InboundMessageReceived message, CancellationToken cancellationToken)
    {
        var attempt = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            attempt++;
            using var attemptCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCancellation.CancelAfter(_attemptTimeout);
            try
            {
                var endpoint = await bus.GetSendEndpoint(_queue);
                await endpoint.Send(message, attemptCancellation.Token);
                return PublishOutcome.Confirmed;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LogAttemptTimedOut(logger, message.AppId, message.DedupKey, attempt);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogAttemptFailed(logger, ex, message.AppId, message.DedupKey, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 250)), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return PublishOutcome.Unavailable;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Publish attempt {Attempt} for {AppId} {DedupKey} got no broker confirm in time")]
    private static partial void LogAttemptTimedOut(ILogger logger, string appId, string dedupKey, int attempt);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Publish attempt {Attempt} for {AppId} {DedupKey} failed")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string appId, string dedupKey, int attempt);
}
