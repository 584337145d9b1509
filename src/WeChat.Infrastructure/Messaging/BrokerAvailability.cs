namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// How long one publish may wait for the broker's confirm (zero: straight to the database fallback),
/// and a token that is cancelled when the broker is found down meanwhile, so that it stops waiting too.
/// </summary>
public readonly record struct BrokerAttempt(TimeSpan Window, bool IsProbe, CancellationToken Abandoned)
{
    public bool TriesBroker => Window > TimeSpan.Zero;
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

    private readonly Lock _gate = new();
    private bool _open;
    private bool _probing;
    private DateTimeOffset _lastFullWindow;

    /// <summary>Cancelled when the circuit opens: the publishes of this closed period stop waiting.</summary>
    private CancellationTokenSource _closedPeriod = new();

    /// <summary>What the next publish may do: wait <paramref name="fullWindow"/>, probe, or not try the broker at all.</summary>
    public BrokerAttempt Begin(TimeSpan fullWindow)
    {
        lock (_gate)
        {
            if (!_open)
            {
                return new BrokerAttempt(fullWindow, IsProbe: false, _closedPeriod.Token);
            }

            if (_probing)
            {
                return new BrokerAttempt(TimeSpan.Zero, IsProbe: false, CancellationToken.None);
            }

            _probing = true;
            var now = time.GetUtcNow();
            if (now - _lastFullWindow < FullProbeInterval)
            {
                return new BrokerAttempt(ShortProbe, IsProbe: true, CancellationToken.None);
            }

            _lastFullWindow = now;
            return new BrokerAttempt(fullWindow, IsProbe: true, CancellationToken.None);
        }
    }

    /// <summary>The result of an attempt from <see cref="Begin"/>: confirmed, not confirmed in its window, or null when its caller gave up.</summary>
    public void End(BrokerAttempt attempt, bool? confirmed)
    {
        if (attempt.IsProbe)
        {
            lock (_gate)
            {
                _probing = false;
            }
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

    /// <summary>A publish attempt went unconfirmed past its timeout: do not send more callbacks after it.</summary>
    public void Overdue() => Open();

    /// <summary>A publish was confirmed (a callback's or the relay's): the broker is back.</summary>
    public void Confirmed()
    {
        lock (_gate)
        {
            if (_open)
            {
                _open = false;
                _closedPeriod.Dispose(); // cancelled when the circuit opened; its tokens stay cancelled
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

    private void Open()
    {
        CancellationTokenSource closedPeriod;
        lock (_gate)
        {
            if (_open)
            {
                return;
            }

            _open = true;
            _lastFullWindow = time.GetUtcNow();
            closedPeriod = _closedPeriod;
        }

        // Outside the lock: cancelling runs the waiting publishes' registrations.
        closedPeriod.Cancel();
    }
}
