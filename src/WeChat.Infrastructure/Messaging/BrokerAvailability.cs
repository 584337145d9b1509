namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// How long one publish may wait for the broker's confirm (zero: straight to the database fallback),
/// and a token that is cancelled when the broker is found down meanwhile, so that it stops waiting too.
/// A probe carries its number: ending late, it must not free the slot of a probe that came after it.
/// </summary>
public readonly record struct BrokerAttempt(TimeSpan Window, long? Probe, CancellationToken Abandoned)
{
    public bool TriesBroker => Window > TimeSpan.Zero;

    public bool IsProbe => Probe is not null;
}

/// <summary>
/// A circuit breaker around the broker for the callback path, with one probe at a time. Closed: every
/// callback waits for its confirm within the full window. Open — a publish failed, or one attempt went
/// unconfirmed past its timeout — callbacks go straight to the database fallback, those still waiting
/// stop, and one callback at a time probes: briefly, or with the full window once every
/// <see cref="FullProbeInterval"/>, which a broker that is up but slow to confirm needs. A confirmed
/// probe, or the relay getting a stored callback confirmed, closes it. Without it every callback of an
/// outage waited for a probe of its own, and all those arriving while one waited the full window
/// waited it too (acks of 2.2 s for a tenth of the callbacks in an outage, measured).
/// </summary>
public sealed class BrokerAvailability(TimeProvider time) : IDisposable
{
    public static readonly TimeSpan ShortProbe = TimeSpan.FromMilliseconds(150);
    public static readonly TimeSpan FullProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a probe's unfinished send keeps the probe slot: should it never end, another probe goes.</summary>
    public static readonly TimeSpan ProbeHoldLimit = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    /// <summary>When the circuit opened; null while it is closed.</summary>
    private DateTimeOffset? _openSince;
    private bool _probing;
    private long _probeNumber;
    private DateTimeOffset _lastFullWindow;

    /// <summary>Cancelled when the circuit opens: the publishes of this closed period stop waiting.</summary>
    private CancellationTokenSource _closedPeriod = new();

    /// <summary>What the next publish may do: wait <paramref name="fullWindow"/>, probe, or not try the broker at all.</summary>
    public BrokerAttempt Begin(TimeSpan fullWindow)
    {
        lock (_gate)
        {
            if (_openSince is null)
            {
                return new BrokerAttempt(fullWindow, Probe: null, _closedPeriod.Token);
            }

            if (_probing)
            {
                return new BrokerAttempt(TimeSpan.Zero, Probe: null, CancellationToken.None);
            }

            _probing = true;
            _probeNumber++;
            var now = time.GetUtcNow();
            if (now - _lastFullWindow < FullProbeInterval)
            {
                return new BrokerAttempt(ShortProbe, _probeNumber, CancellationToken.None);
            }

            _lastFullWindow = now;
            return new BrokerAttempt(fullWindow, _probeNumber, CancellationToken.None);
        }
    }

    /// <summary>
    /// The result of an attempt from <see cref="Begin"/>: confirmed, not confirmed in its window, or null
    /// when its caller gave up. <paramref name="unfinished"/> is its send if that is still going (sends
    /// are never cancelled, <see cref="InFlightSends"/>). Any such send confirmed later closes the
    /// circuit; a probe's keeps the probe slot until it ends (at most <see cref="ProbeHoldLimit"/>), so
    /// an outage leaves a send waiting every 30 s, not one per probe — each of them a duplicate for the
    /// inbox to drop once the broker is back.
    /// </summary>
    public void End(BrokerAttempt attempt, bool? confirmed, Task? unfinished = null)
    {
        if (confirmed != true && unfinished is { IsCompleted: false })
        {
            _ = unfinished.ContinueWith(
                static (send, state) =>
                {
                    if (send.IsCompletedSuccessfully)
                    {
                        ((BrokerAvailability)state!).Confirmed();
                    }
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            if (attempt.Probe is { } probe)
            {
                _ = Task.WhenAny(unfinished, Task.Delay(ProbeHoldLimit, time)).ContinueWith(
                    _ => ReleaseProbe(probe), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        else if (attempt.Probe is { } probe)
        {
            ReleaseProbe(probe);
        }

        switch (confirmed)
        {
            case true:
                Confirmed();
                break;
            // One cut short because others found the broker down is no evidence of its own (the circuit may have closed since).
            case false when !attempt.Abandoned.IsCancellationRequested:
                Open();
                break;
        }
    }

    /// <summary>When the circuit opened (the broker stopped confirming); null while it is closed.</summary>
    public DateTimeOffset? OpenSince
    {
        get
        {
            lock (_gate)
            {
                return _openSince;
            }
        }
    }

    /// <summary>A publish attempt went unconfirmed past its timeout: do not send more callbacks after it.</summary>
    public void Overdue() => Open();

    /// <summary>A publish was confirmed (a callback's or the relay's): the broker is back.</summary>
    public void Confirmed()
    {
        lock (_gate)
        {
            if (_openSince is not null)
            {
                _openSince = null;
                _probing = false; // a probe still out (or held by its send) has nothing left to find out
                // Replaced, not disposed: the Open that ended that period may still be cancelling it
                // outside the lock, and it has no timer or handle to free; its tokens stay cancelled.
                _closedPeriod = new CancellationTokenSource();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closedPeriod.Dispose();
        }
    }

    /// <summary>Frees the probe slot if <paramref name="probe"/> still holds it.</summary>
    private void ReleaseProbe(long probe)
    {
        lock (_gate)
        {
            if (probe == _probeNumber)
            {
                _probing = false;
            }
        }
    }

    private void Open()
    {
        CancellationTokenSource closedPeriod;
        lock (_gate)
        {
            if (_openSince is not null)
            {
                return;
            }

            _lastFullWindow = time.GetUtcNow();
            _openSince = _lastFullWindow;
            closedPeriod = _closedPeriod;
        }

        // Outside the lock: cancelling runs the waiting publishes' registrations.
        closedPeriod.Cancel();
    }
}
