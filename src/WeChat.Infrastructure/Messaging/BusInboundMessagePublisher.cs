using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Configuration;
using WeChat.Application.Contracts;
using WeChat.Domain.Inbox;
using WeChat.Infrastructure.Persistence;

namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// Makes an accepted callback durable before the API answers <c>success</c>, inside the ack deadline:
/// <list type="number">
/// <item>send it to the inbound queue and wait for the broker's publisher confirm, retrying briefly;</item>
/// <item>if the broker does not confirm in time — or is known to be down (<see cref="BrokerAvailability"/>),
/// then without waiting — store it in the database (PendingInboundMessages), from where
/// <see cref="PendingInboundRelay"/> publishes it once the broker is back;</item>
/// <item>if that fails too, report <see cref="PublishOutcome.Unavailable"/> (the API answers 503 and WeChat retries).</item>
/// </list>
/// On RabbitMQ the send goes to the exchange in front of the quorum queue, both declared by
/// <see cref="InboundQueueDeclaration"/> (and by the workers), and it is mandatory: should nothing be
/// bound to the exchange (the queue not declared yet, or deleted), the broker returns the message
/// instead of confirming and dropping it, the callback is stored for relay like in an outage, and the
/// declaration is made again.
/// </summary>
public sealed partial class BusInboundMessagePublisher(
    IBus bus,
    IDbContextFactory<WeChatDbContext> databases,
    IDatabaseWriteGate writeGate,
    BrokerAvailability broker,
    InFlightSends sends,
    InboundQueueDeclaration declaration,
    IOptions<MessagingOptions> options,
    TimeProvider time,
    ILogger<BusInboundMessagePublisher> logger) : IInboundMessagePublisher
{
    /// <summary>Part of the deadline kept for the database fallback.</summary>
    private static readonly TimeSpan FallbackReserve = TimeSpan.FromMilliseconds(800);

    private readonly Uri _queue = new(options.Value.Transport == MessagingTransport.RabbitMq
        ? $"exchange:{options.Value.InboundQueueName}"
        : $"queue:{options.Value.InboundQueueName}");
    private readonly TimeSpan _deadline = TimeSpan.FromMilliseconds(options.Value.AckDeadlineMilliseconds);
    private readonly TimeSpan _attemptTimeout = TimeSpan.FromMilliseconds(options.Value.PublishAttemptTimeoutMilliseconds);

    public async ValueTask<PublishOutcome> PublishAsync(InboundMessageReceived message, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_deadline);
        var attempt = broker.Begin(_deadline - FallbackReserve);
        if (attempt.TriesBroker)
        {
            var sent = default(BrokerSend);
            try
            {
                using var brokerWindow = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, attempt.Abandoned);
                brokerWindow.CancelAfter(attempt.Window);
                sent = await TrySendAsync(message, brokerWindow.Token);
            }
            finally
            {
                // A caller that gave up (WeChat closed the request) says nothing about the broker.
                broker.End(attempt, cancellationToken.IsCancellationRequested && !sent.Confirmed ? null : sent.Confirmed, sent.Unfinished);
            }

            if (sent.Confirmed)
            {
                return PublishOutcome.Confirmed;
            }
        }

        if (deadline.IsCancellationRequested)
        {
            return PublishOutcome.Unavailable;
        }

        try
        {
            await StoreAsync(message, deadline.Token);
            LogStoredForRelay(logger, message.AppId, message.DedupKey);
            return PublishOutcome.StoredForRelay;
        }
        catch (Exception ex) when (ex is DbUpdateException or OperationCanceledException or InvalidOperationException or System.Data.Common.DbException)
        {
            LogFallbackFailed(logger, ex, message.AppId, message.DedupKey);
            return PublishOutcome.Unavailable;
        }
    }

    /// <summary>
    /// Sends with confirm until the window closes. A send that goes unconfirmed past the attempt timeout
    /// opens the circuit (<see cref="BrokerAvailability.Overdue"/>) and is waited for further, never
    /// cancelled and never doubled (<see cref="InFlightSends"/>); one that fails is tried again after a
    /// short pause. Not confirmed in the window, the send may still be going: the result carries it.
    /// </summary>
    public async Task<BrokerSend> TrySendAsync(InboundMessageReceived message, CancellationToken window)
    {
        Task? send = null;
        for (var attempt = 1; !window.IsCancellationRequested; attempt++)
        {
            send = sends.TryStart(() => SendAsync(message));
            if (send is null)
            {
                LogTooManyInFlight(logger, message.AppId, message.DedupKey, sends.Capacity);
                return default;
            }

            try
            {
                try
                {
                    await send.WaitAsync(_attemptTimeout, time, window);
                }
                catch (TimeoutException)
                {
                    // Not a filter: a send completing between the timeout and the filter would have gone to the
                    // generic catch and been sent again. Its own outcome is what counts.
                    if (!send.IsCompleted)
                    {
                        broker.Overdue();
                        LogAttemptTimedOut(logger, message.AppId, message.DedupKey, attempt);
                    }

                    await send.WaitAsync(window);
                }

                return new BrokerSend(Confirmed: true, Unfinished: null);
            }
            catch (OperationCanceledException) when (window.IsCancellationRequested)
            {
                break;
            }
            catch (MessageReturnedException)
            {
                // Nothing is bound to the exchange: the queue is not declared yet, or was deleted. Trying
                // again in this window will not change that; the database holds the callback meanwhile.
                LogReturned(logger, message.AppId, message.DedupKey, options.Value.InboundQueueName);
                declaration.Request();
                break;
            }
            catch (Exception ex)
            {
                LogAttemptFailed(logger, ex, message.AppId, message.DedupKey, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 250)), time, window).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return new BrokerSend(Confirmed: false, Unfinished: send is { IsCompleted: false } ? send : null);
    }

    /// <summary>Deliberately without a cancellation token: see <see cref="InFlightSends"/>.</summary>
    private async Task SendAsync(InboundMessageReceived message)
    {
        var endpoint = await bus.GetSendEndpoint(_queue);
        await endpoint.Send(message, InboundQueueTopology.MakeMandatory, CancellationToken.None);
    }

    private async Task StoreAsync(InboundMessageReceived message, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        db.PendingInboundMessages.Add(new PendingInboundMessage
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            AppId = message.AppId,
            DedupKey = message.DedupKey,
            Payload = JsonSerializer.Serialize(message, ContractJson.Options),
            CreatedAt = time.GetUtcNow(),
        });
        using var writer = await writeGate.EnterAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Publish attempt {Attempt} for {AppId} {DedupKey} got no broker confirm in time; the circuit opens")]
    private static partial void LogAttemptTimedOut(ILogger logger, string appId, string dedupKey, int attempt);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Publish attempt {Attempt} for {AppId} {DedupKey} failed")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string appId, string dedupKey, int attempt);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "The broker returned callback {AppId} {DedupKey}: no queue is bound to exchange {Exchange}; declaring it again")]
    private static partial void LogReturned(ILogger logger, string appId, string dedupKey, string exchange);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "{Capacity} broker sends are still unconfirmed: callback {AppId} {DedupKey} goes to the fallback without another")]
    private static partial void LogTooManyInFlight(ILogger logger, string appId, string dedupKey, int capacity);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Broker unavailable: callback {AppId} {DedupKey} stored in the database for relay")]
    private static partial void LogStoredForRelay(ILogger logger, string appId, string dedupKey);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Callback {AppId} {DedupKey} could not be stored for relay either")]
    private static partial void LogFallbackFailed(ILogger logger, Exception exception, string appId, string dedupKey);
}

/// <summary>What <see cref="BusInboundMessagePublisher.TrySendAsync"/> got: a confirm, or none yet and the send if it is still going.</summary>
public readonly record struct BrokerSend(bool Confirmed, Task? Unfinished);

/// <summary>JSON of stored bus contracts (the relay's payloads).</summary>
public static class ContractJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
