using System.Threading.Channels;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// Group commit: each caller hands in one item and gets a task for its own result; a single loop
/// writes whatever has queued up meanwhile as one batch. By default nothing waits for a batch to
/// fill — an idle system writes a batch of one at once — but under load N small writes cost one
/// statement and one pass through the database write gate instead of N. A caller that awaits its
/// write leaves, after a crash, exactly what an unbatched write would have left. Writes that can wait
/// (outcomes of sends already made, which nobody awaits on the hot path) can linger instead: each
/// item then waits up to the linger for others before its batch is written.
/// </summary>
internal sealed class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private static readonly Func<ValueTask<IDisposable?>> NoGate = () => ValueTask.FromResult<IDisposable?>(null);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> _writeBatch;
    private readonly Func<ValueTask<IDisposable?>> _enterGate;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _linger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _closing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    /// <summary>Items in the queue (a single-reader channel cannot count them).</summary>
    private int _queued;

    /// <param name="writeBatch">Writes the items and returns one result per item, in order.</param>
    /// <param name="maxBatchSize">At most this many items per write (bounds statement parameters).</param>
    /// <param name="enterGate">
    /// Entered before the batch is taken from the queue and left after it is written (the database
    /// write gate): what queues up while the loop waits for the gate goes into the same batch.
    /// </param>
    /// <param name="linger">
    /// How long the oldest queued item waits for others, counted from when it was queued, before its
    /// batch is written; not at all once a full batch is queued or the queue is closing. Zero writes at once.
    /// </param>
    /// <param name="time">The clock the linger is measured with (the system's by default).</param>
    public GroupCommit(
        Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> writeBatch,
        int maxBatchSize,
        Func<ValueTask<IDisposable?>>? enterGate = null,
        TimeSpan linger = default,
        TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(linger, TimeSpan.Zero);
        _writeBatch = writeBatch;
        _enterGate = enterGate ?? NoGate;
        _maxBatchSize = maxBatchSize;
        _linger = linger;
        _time = time ?? TimeProvider.System;
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Queues the item and completes when the batch that carries it is written. Takes no cancellation
    /// token on purpose: a queued write may already be on its way, and its result must reach the caller.
    /// </summary>
    public Task<TResult> WriteAsync(TItem item)
    {
        // Continuations run on the thread pool, not on the loop, so one caller's follow-up work (an HTTP
        // send) never holds up the next batch.
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously), _time.GetTimestamp());
        Interlocked.Increment(ref _queued);
        if (_queue.Writer.TryWrite(pending))
        {
            return pending.Result.Task;
        }

        Interlocked.Decrement(ref _queued);
        return Task.FromException<TResult>(new ObjectDisposedException(nameof(GroupCommit<TItem, TResult>)));
    }

    /// <summary>Stops accepting items and waits until every queued one is written, without lingering.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _closing.TrySetResult();
        await _loop;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            if (_linger > TimeSpan.Zero && Volatile.Read(ref _queued) < _maxBatchSize && _queue.Reader.TryPeek(out var oldest)
                && _linger - _time.GetElapsedTime(oldest.QueuedAt) is { Ticks: > 0 } left)
            {
                await Task.WhenAny(Task.Delay(left, _time), _closing.Task);
            }

            IDisposable? gate = null;
            try
            {
                gate = await _enterGate();
                TakeBatch(batch);

                var results = await _writeBatch(batch.ConvertAll(p => p.Item));
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Result.TrySetResult(results[i]);
                }
            }
            catch (Exception ex)
            {
                // The whole batch failed (the database is away): every caller in it sees the failure,
                // exactly as its own write would have; the loop goes on with the next batch. If even
                // the gate failed, the batch is the next items in the queue, so the loop still moves on.
                if (batch.Count == 0)
                {
                    TakeBatch(batch);
                }

                foreach (var pending in batch)
                {
                    pending.Result.TrySetException(ex);
                }
            }
            finally
            {
                LeaveGate(gate);
            }

            batch.Clear();
        }
    }

    private void TakeBatch(List<Pending> batch)
    {
        while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var pending))
        {
            Interlocked.Decrement(ref _queued);
            batch.Add(pending);
        }
    }

    /// <summary>Leaving a gate that was disposed meanwhile (shutdown) must not end the loop: callers would wait for ever.</summary>
    private static void LeaveGate(IDisposable? gate)
    {
        try
        {
            gate?.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Result, long QueuedAt);
}
