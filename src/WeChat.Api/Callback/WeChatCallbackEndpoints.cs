using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;

namespace WeChat.Api.Callback;

/// <summary><c>GET</c>/<c>POST /wechat/{appId}</c>: the URL WeChat calls.</summary>
public static partial class WeChatCallbackEndpoints
{
    private const string Success = "success";
    private const string TextPlain = "text/plain";

    public static RouteGroupBuilder MapWeChatCallback(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/wechat/{appId}").WithTags("WeChat callback");
        group.MapGet("", VerifyUrl);
        group.MapPost("", ReceiveAsync);
        return group;
    }

    /// <summary>URL verification: the body is exactly <c>echostr</c>.</summary>
    public static ContentHttpResult VerifyUrl(
        string appId,
        [AsParameters] CallbackQuery query,
        CallbackProcessor processor,
        WeChatMetrics metrics,
        ILogger<CallbackProcessor> logger)
    {
        var rejection = processor.VerifyUrl(appId, query);
        return rejection is { } reason
            ? Reject(logger, metrics, appId, reason)
            : TypedResults.Text(query.Echostr, TextPlain);
    }

    /// <summary>An inbound message or event: verified, decoded, made durable, then acknowledged with <c>success</c>.</summary>
    public static async Task<ContentHttpResult> ReceiveAsync(
        string appId,
        [AsParameters] CallbackQuery query,
        HttpRequest request,
        CallbackProcessor processor,
        IInboundMessagePublisher publisher,
        IOptions<WeChatOptions> wechat,
        WeChatMetrics metrics,
        ILogger<CallbackProcessor> logger)
    {
        var started = Stopwatch.GetTimestamp();
        if (processor.PreCheck(appId, query, out var account) is { } rejection)
        {
            return Reject(logger, metrics, appId, rejection);
        }

        var body = await ReadBodyAsync(request, wechat.Value.MaxCallbackBodyBytes, request.HttpContext.RequestAborted);
        if (body is null)
        {
            return Reject(logger, metrics, appId, CallbackRejection.BodyTooLarge);
        }

        var verdict = processor.Decode(account!, query, body);
        if (verdict.Rejection is { } decodeRejection)
        {
            return Reject(logger, metrics, appId, decodeRejection);
        }

        var accepted = verdict.Accepted!;
        // The publisher keeps the answer inside Messaging:AckDeadlineMilliseconds, well before WeChat gives up.
        var outcome = await publisher.PublishAsync(accepted, request.HttpContext.RequestAborted);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (outcome == PublishOutcome.Unavailable)
        {
            LogUnavailable(logger, appId, accepted.DedupKey);
            metrics.CallbackRejected("Unavailable");
            metrics.CallbackAnswered(elapsed, StatusCodes.Status503ServiceUnavailable);
            return TypedResults.Text("temporarily unavailable", TextPlain, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        LogAccepted(logger, appId, accepted.DedupKey, accepted.Message.MsgType, outcome);
        metrics.CallbackAccepted(appId, outcome.ToString());
        metrics.CallbackAnswered(elapsed, StatusCodes.Status200OK);
        return TypedResults.Text(Success, TextPlain);
    }

    /// <summary>Reads the body as UTF-8, or returns null once it exceeds <paramref name="limit"/> bytes.</summary>
    private static async Task<string?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        // One byte more than the limit tells "exactly at the limit" from "over it".
        var capacity = limit + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var length = 0;
            while (length < capacity)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, capacity - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > limit)
            {
                return null;
            }

            var bytes = buffer.AsSpan(0, length);
            if (bytes.StartsWith(Encoding.UTF8.Preamble))
            {
                bytes = bytes[Encoding.UTF8.Preamble.Length..];
            }

            return Encoding.UTF8.GetString(bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ContentHttpResult Reject(ILogger logger, WeChatMetrics metrics, string appId, CallbackRejection rejection)
    {
        LogRejected(logger, appId, rejection, rejection.StatusCode());
        metrics.CallbackRejected(rejection.ToString());
        return TypedResults.Text(rejection.Describe(), TextPlain, statusCode: rejection.StatusCode());
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Callback for {AppId} rejected: {Reason} (HTTP {StatusCode})")]
    private static partial void LogRejected(ILogger logger, string appId, CallbackRejection reason, int statusCode);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Callback for {AppId} accepted: {DedupKey} ({MsgType}, {Outcome})")]
    private static partial void LogAccepted(ILogger logger, string appId, string dedupKey, string msgType, PublishOutcome outcome);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Callback for {AppId} {DedupKey} answered 503: neither the broker nor the fallback store accepted it before the deadline")]
    private static partial void LogUnavailable(ILogger logger, string appId, string dedupKey);
}
