using System.Text.Json;
using System.Text.Json.Nodes;

namespace WeChat.Simulator.Platform;

/// <summary>One request the fake WeChat API received, with what it answered.</summary>
/// <param name="Delivered">True when the call had an effect a follower would see (a message delivered, a template sent).</param>
public sealed record RecordedCall(
    long Sequence,
    DateTimeOffset At,
    string Method,
    string Path,
    string? AppId,
    string Query,
    string? Body,
    int HttpStatus,
    int ErrorCode,
    bool Delivered)
{
    /// <summary>The request body as JSON (null if it had none or it was not JSON).</summary>
    public JsonObject? Json()
    {
        if (string.IsNullOrEmpty(Body))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Everything the platform received, so a test or a person can see it (GET /_sim/calls).</summary>
public sealed class CallRecorder(int capacity)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<RecordedCall> _calls = new();
    private long _sequence;

    /// <summary>Raised for each recorded call (chat mode prints deliveries as they happen).</summary>
    public event Action<RecordedCall>? Recorded;

    public RecordedCall Add(DateTimeOffset at, string method, string path, string? appId, string query, string? body, int httpStatus, int errorCode, bool delivered)
    {
        RecordedCall call;
        lock (_gate)
        {
            call = new RecordedCall(++_sequence, at, method, path, appId, query, body, httpStatus, errorCode, delivered);
            _calls.AddLast(call);
            if (_calls.Count > capacity)
            {
                _calls.RemoveFirst();
            }
        }

        Recorded?.Invoke(call);
        return call;
    }

    /// <summary>The sequence number of the latest call: pass it as <c>since</c> to see only what comes next.</summary>
    public long LastSequence => Interlocked.Read(ref _sequence);

    public IReadOnlyList<RecordedCall> Snapshot(Func<RecordedCall, bool>? filter = null)
    {
        lock (_gate)
        {
            return filter is null ? [.. _calls] : _calls.Where(filter).ToList();
        }
    }

    public int Count(Func<RecordedCall, bool> filter)
    {
        lock (_gate)
        {
            return _calls.Count(filter);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _calls.Clear();
        }
    }
}
