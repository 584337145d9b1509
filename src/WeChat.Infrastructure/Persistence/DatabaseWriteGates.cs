using WeChat.Application.Abstractions;
using WeChat.Application.Common.Observability;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// One write transaction at a time in this process (SQLite), and, with a <paramref name="processTurn"/>,
/// taking turns with the other processes on the same file. Measured, because on SQLite this is where
/// a worker's throughput ends: how long writes wait for it, and how long they hold it (the hold time's
/// share of wall time is how busy the writer is; near 100 % it is the limit, whatever the CPU shows).
/// </summary>
internal sealed class SerializedWriteGate(WeChatMetrics metrics, TimeProvider time, SqliteProcessTurn? processTurn) : IDatabaseWriteGate, IDisposable
{
    // Not disposed: a write still in flight at shutdown must be able to leave (nothing here needs a wait handle).
#pragma warning disable CA2213
    private readonly SemaphoreSlim _writer = new(1, 1);
#pragma warning restore CA2213

    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        var waitStarted = time.GetTimestamp();
        await _writer.WaitAsync(cancellationToken);
        if (processTurn is not null)
        {
            try
            {
                await processTurn.EnterAsync();
            }
            catch
            {
                _writer.Release();
                throw;
            }
        }

        var entered = time.GetTimestamp();
        metrics.WriteGateEntered(time.GetElapsedTime(waitStarted, entered).TotalMilliseconds);
        return new Release(this, entered);
    }

    public void Dispose() => processTurn?.Dispose();

    private void Leave(long entered)
    {
        metrics.WriteGateLeft(time.GetElapsedTime(entered).TotalMilliseconds);
        try
        {
            processTurn?.Leave();
        }
        finally
        {
            _writer.Release();
        }
    }

    private sealed class Release(SerializedWriteGate gate, long entered) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Leave(entered);
            }
        }
    }
}

/// <summary>No gate: the database handles concurrent writers itself (SQL Server).</summary>
internal sealed class OpenWriteGate : IDatabaseWriteGate
{
    private static readonly IDisposable Nothing = new Empty();

    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Nothing);

    private sealed class Empty : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
