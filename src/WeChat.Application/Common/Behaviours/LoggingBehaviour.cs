using System.Diagnostics;
using Mediator;
using Microsoft.Extensions.Logging;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Common.Observability;

namespace WeChat.Application.Common.Behaviours;

/// <summary>Outermost: times every command, logs failures with the inbound push they came from, records handler metrics.</summary>
public sealed partial class LoggingBehaviour<TMessage, TResponse>(ILogger<LoggingBehaviour<TMessage, TResponse>> logger, WeChatMetrics metrics)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var name = typeof(TMessage).Name;
        var envelope = (message as IInboundCommand)?.Envelope;
        using var scope = envelope is null ? null : logger.BeginScope(new Dictionary<string, object> { ["AppId"] = envelope.AppId, ["DedupKey"] = envelope.DedupKey });
        using var activity = WeChatTracing.Source.StartActivity(name);
        if (envelope is not null)
        {
            activity?.SetTag("wechat.app_id", envelope.AppId);
            activity?.SetTag("wechat.dedup_key", envelope.DedupKey);
            activity?.SetTag("wechat.msg_type", envelope.MsgType);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await next(message, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var outcome = response is InboundResult result ? result.ToString() : "ok";
            activity?.SetTag("wechat.outcome", outcome);
            metrics.HandlerCompleted(name, elapsed, outcome);
            LogHandled(logger, name, elapsed, response);
            return response;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            metrics.HandlerCompleted(name, elapsed, "failed");
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            LogFailed(logger, ex, name, elapsed);
            throw;
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "{Command} handled in {ElapsedMs:0.0} ms: {Response}")]
    private static partial void LogHandled(ILogger logger, string command, double elapsedMs, object? response);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{Command} failed after {ElapsedMs:0.0} ms")]
    private static partial void LogFailed(ILogger logger, Exception exception, string command, double elapsedMs);
}
