using WeChat.Application.Abstractions;

namespace WeChat.Infrastructure.Persistence;

/// <summary>One write transaction at a time in this process (SQLite).</summary>
internal sealed class SerializedWriteGate : IDatabaseWriteGate, IDisposable
{
    private readonly SemaphoreSlim _writer = new(1, 1);

    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        return new Release(_writer);
    }

    public void Dispose() => _writer.Dispose();

    private sealed class Release(SemaphoreSlim writer) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                writer.Release();
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
