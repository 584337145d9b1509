using System.Diagnostics.Metrics;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Domain.Credentials;

namespace WeChat.Application.Common.Observability;

/// <summary>
/// The platform's own instruments (meter <c>WeChat.Platform</c>), exported through OpenTelemetry.
/// Tag values are bounded sets (reasons, outcomes, operations, app ids), never user data.
/// </summary>
public sealed class WeChatMetrics : IDisposable
{
    public const string MeterName = "WeChat.Platform";

    /// <summary>
    /// Fine below 50 ms, where a healthy API answers (the default boundaries jump from 25 to 50 to 75),
    /// and up to WeChat's 5 s deadline, past which it has given up and retries.
    /// </summary>
    private static readonly double[] AckBuckets = [1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 250, 500, 1000, 2000, 3000, 4000, 5000];

    /// <summary>From a tenth of a millisecond (one SQLite write transaction takes about one) up to seconds.</summary>
    private static readonly double[] WriteGateBuckets = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

    private readonly Meter _meter;
    private readonly Counter<long> _callbacksAccepted;
    private readonly Counter<long> _callbacksRejected;
    private readonly Histogram<double> _ackDuration;
    private readonly Histogram<double> _queueLag;
    private readonly Histogram<double> _handlerDuration;
    private readonly Counter<long> _outbox;
    private readonly Counter<long> _tokenRefreshes;
    private readonly Counter<long> _apiCalls;
    private readonly Counter<long> _apiErrors;
    private readonly Histogram<double> _writeGateWait;
    private readonly Histogram<double> _writeGateHold;
    private readonly Histogram<long> _groupCommitUnits;

    public WeChatMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _callbacksAccepted = _meter.CreateCounter<long>("wechat.callbacks.accepted", description: "Callbacks acknowledged with success, by how they were made durable");
        _callbacksRejected = _meter.CreateCounter<long>("wechat.callbacks.rejected", description: "Callbacks refused, by reason");
        _ackDuration = Milliseconds("wechat.callback.ack.duration", "Time from request start to the answer WeChat receives", AckBuckets);
        _queueLag = Milliseconds("wechat.inbound.queue.lag", "Time from acceptance at the API to consumption by a worker");
        _handlerDuration = Milliseconds("wechat.handler.duration", "Mediator handler time including its transaction");
        _outbox = _meter.CreateCounter<long>("wechat.outbox.completed", description: "Outbox rows (replies, template messages, hand-offs) by kind and outcome");
        _tokenRefreshes = _meter.CreateCounter<long>("wechat.token.refreshes", description: "Credentials fetched from WeChat by this process");
        _apiCalls = _meter.CreateCounter<long>("wechat.api.calls", description: "WeChat API calls by operation and outcome");
        _apiErrors = _meter.CreateCounter<long>("wechat.api.errors", description: "WeChat API calls that returned a non-zero errcode, by errcode");
        _writeGateWait = Milliseconds("wechat.db.write_gate.wait", "SQLite: time a write waited for its turn at the one database writer (behind this process's writes and other processes' on the same file)", WriteGateBuckets);
        _writeGateHold = Milliseconds(
            "wechat.db.write_gate.hold",
            "SQLite: time a write held this process's one database writer; the sum's share of wall time is how busy the writer is",
            WriteGateBuckets);
        _groupCommitUnits = _meter.CreateHistogram<long>(
            "wechat.db.group_commit.units",
            unit: "{unit}",
            description: "SQLite: handler units of work committed together in one transaction",
            tags: null,
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32] });
    }

    private Histogram<double> Milliseconds(string name, string description, double[]? buckets = null) =>
        _meter.CreateHistogram<double>(
            name,
            unit: "ms",
            description: description,
            tags: null,
            advice: buckets is null ? null : new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    public void CallbackAccepted(string appId, string outcome) =>
        _callbacksAccepted.Add(1, new("app_id", appId), new("outcome", outcome));

    public void CallbackRejected(string reason) => _callbacksRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void CallbackAnswered(double milliseconds, int statusCode) =>
        _ackDuration.Record(milliseconds, new KeyValuePair<string, object?>("status_code", statusCode));

    public void InboundConsumed(string appId, double lagMilliseconds) =>
        _queueLag.Record(lagMilliseconds, new KeyValuePair<string, object?>("app_id", appId));

    public void HandlerCompleted(string command, double milliseconds, string outcome) =>
        _handlerDuration.Record(milliseconds, new("command", command), new("outcome", outcome));

    public void OutboxCompleted(string kind, string outcome) => _outbox.Add(1, new("kind", kind), new("outcome", outcome));

    public void TokenRefreshed(string appId, CredentialKind kind) => _tokenRefreshes.Add(1, new("app_id", appId), new("kind", kind.ToString()));

    public void ApiCallCompleted(string appId, string operation, WeChatFailure failure, int errorCode)
    {
        _apiCalls.Add(1, new("app_id", appId), new("operation", operation), new("outcome", failure.ToString()));
        if (errorCode != 0)
        {
            _apiErrors.Add(1, new("operation", operation), new("errcode", errorCode));
        }
    }

    public void WriteGateEntered(double waitedMilliseconds) => _writeGateWait.Record(waitedMilliseconds);

    public void WriteGateLeft(double heldMilliseconds) => _writeGateHold.Record(heldMilliseconds);

    public void GroupCommitted(int units) => _groupCommitUnits.Record(units);

    public void Dispose() => _meter.Dispose();
}

/// <summary>The platform's own spans (one per mediator command), beside ASP.NET Core, HttpClient and MassTransit's.</summary>
public static class WeChatTracing
{
    public const string SourceName = "WeChat.Platform";

    public static readonly System.Diagnostics.ActivitySource Source = new(SourceName);
}
