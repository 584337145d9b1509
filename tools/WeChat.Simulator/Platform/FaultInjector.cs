namespace WeChat.Simulator.Platform;

/// <summary>
/// A fault applied to matching API calls. <see cref="ErrorBurst"/> and <see cref="ServerErrors"/> are
/// bursts: the next N matching calls fail, without any effect unless
/// <see cref="ServerErrorsAfterProcessing"/>. <see cref="LatencyMilliseconds"/> delays before
/// processing; <see cref="DelayAfterProcessingMilliseconds"/> holds the answer after the call took
/// effect, which is how a client ends up with an ambiguous timeout.
/// </summary>
public sealed record FaultRule
{
    /// <summary>Applies to paths containing this text (e.g. "message/custom/send"); null = every API path.</summary>
    public string? PathContains { get; init; }

    /// <summary>Applies to this account only; null = every account.</summary>
    public string? AppId { get; init; }

    public int LatencyMilliseconds { get; init; }

    public int DelayAfterProcessingMilliseconds { get; init; }

    /// <summary>Answer <see cref="ErrorCode"/> to this many matching calls.</summary>
    public int ErrorBurst { get; init; }

    /// <summary>The errcode of the burst: -1 (system busy) unless another is given (45009, 40164, …).</summary>
    public int ErrorCode { get; init; } = -1;

    /// <summary>Answer HTTP <see cref="ServerErrorStatus"/> to this many matching calls.</summary>
    public int ServerErrors { get; init; }

    /// <summary>The status of <see cref="ServerErrors"/>: 503 (WeChat refused the call) unless another 5xx is given.</summary>
    public int ServerErrorStatus { get; init; } = 503;

    /// <summary>
    /// The call takes effect first and the server error comes after, as from a gateway that gave up
    /// waiting for WeChat (502, 504): the client cannot tell whether a message went out.
    /// </summary>
    public bool ServerErrorsAfterProcessing { get; init; }

    /// <summary>What is wrong with the rule, or null when it can be applied.</summary>
    public string? Problem() => ServerErrorStatus is < 500 or > 599 ? "serverErrorStatus must be a 5xx status." : null;

    /// <summary>Hold matching calls (received, not yet processed) until <see cref="FaultInjector.Release"/>.</summary>
    public bool HoldUntilReleased { get; init; }
}

/// <summary>What to do to one call.</summary>
/// <param name="ErrorCode">Non-zero: answer this errcode instead of processing the call.</param>
/// <param name="ServerErrorStatus">Non-zero: answer this HTTP status (before processing unless <paramref name="ServerErrorAfterProcessing"/>).</param>
/// <param name="Gate">Completes when held calls are released; null when the call is not held.</param>
public readonly record struct FaultDecision(int LatencyMilliseconds, int DelayAfterProcessingMilliseconds, int ErrorCode, int ServerErrorStatus, bool ServerErrorAfterProcessing, Task? Gate);

public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<(long Id, FaultRule Rule, int BurstLeft, int ServerErrorsLeft)> _rules = [];
    private long _nextId;
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    /// <summary>Calls currently held by a <see cref="FaultRule.HoldUntilReleased"/> rule.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Lets every held call proceed; later calls are held again only by a new rule.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _rules.RemoveAll(rule => rule.Rule.HoldUntilReleased);
            _release.TrySetResult();
            _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Waits at a held call's gate, counting it as held meanwhile.</summary>
    public async Task WaitAtGateAsync(Task gate)
    {
        Interlocked.Increment(ref _held);
        try
        {
            await gate;
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
    }

    public long Add(FaultRule rule)
    {
        if (rule.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(rule));
        }

        lock (_gate)
        {
            _rules.Add((++_nextId, rule, rule.ErrorBurst, rule.ServerErrors));
            return _nextId;
        }
    }

    public void Clear()
    {
        Release();
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    public IReadOnlyList<FaultRule> Rules
    {
        get
        {
            lock (_gate)
            {
                return _rules.Select(r => r.Rule with { ErrorBurst = r.BurstLeft, ServerErrors = r.ServerErrorsLeft }).ToList();
            }
        }
    }

    public FaultDecision Decide(string path, string? appId)
    {
        lock (_gate)
        {
            int latency = 0, delayAfter = 0, errorCode = 0, serverErrorStatus = 0;
            var serverErrorAfterProcessing = false;
            Task? gate = null;
            for (var i = 0; i < _rules.Count; i++)
            {
                var (id, rule, burstLeft, serverErrorsLeft) = _rules[i];
                if ((rule.PathContains is not null && !path.Contains(rule.PathContains, StringComparison.OrdinalIgnoreCase))
                    || (rule.AppId is not null && appId is not null && rule.AppId != appId))
                {
                    continue;
                }

                latency += rule.LatencyMilliseconds;
                if (rule.HoldUntilReleased)
                {
                    gate = _release.Task;
                }

                delayAfter += rule.DelayAfterProcessingMilliseconds;
                if (errorCode == 0 && serverErrorStatus == 0 && serverErrorsLeft > 0)
                {
                    serverErrorStatus = rule.ServerErrorStatus;
                    serverErrorAfterProcessing = rule.ServerErrorsAfterProcessing;
                    serverErrorsLeft--;
                }
                else if (errorCode == 0 && serverErrorStatus == 0 && burstLeft > 0)
                {
                    errorCode = rule.ErrorCode;
                    burstLeft--;
                }

                _rules[i] = (id, rule, burstLeft, serverErrorsLeft);
            }

            return new FaultDecision(latency, delayAfter, errorCode, serverErrorStatus, serverErrorAfterProcessing, gate);
        }
    }
}
