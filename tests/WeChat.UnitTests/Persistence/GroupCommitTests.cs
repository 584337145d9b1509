using Microsoft.Extensions.Time.Testing;
using WeChat.Infrastructure.Persistence;

namespace WeChat.UnitTests.Persistence;

public sealed class GroupCommitTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_write_on_an_idle_queue_is_written_at_once_as_a_batch_of_one()
    {
        var batches = new List<int[]>();
        await using var commit = new GroupCommit<int, string>(items => Write(batches, items), maxBatchSize: 10);

        var result = await commit.WriteAsync(7).WaitAsync(Patience);

        Assert.Equal("7", result);
        Assert.Equal([7], Assert.Single(batches));
    }

    [Fact]
    public async Task Writes_queued_while_a_batch_is_written_go_together_and_each_caller_gets_its_own_result()
    {
        var writer = new FirstBatchHeld();
        await using var commit = new GroupCommit<int, string>(writer.WriteAsync, maxBatchSize: 10);

        var first = commit.WriteAsync(0);
        await writer.Started.Task.WaitAsync(Patience);
        var queued = Enumerable.Range(1, 5).Select(commit.WriteAsync).ToArray();
        writer.Release.SetResult();

        Assert.Equal("0", await first.WaitAsync(Patience));
        Assert.Equal(["1", "2", "3", "4", "5"], await Task.WhenAll(queued).WaitAsync(Patience));
        Assert.Equal([[0], [1, 2, 3, 4, 5]], writer.Batches);
    }

    [Fact]
    public async Task Writes_queued_while_the_loop_waits_for_the_gate_go_into_the_batch_it_then_writes()
    {
        var batches = new List<int[]>();
        using var gate = new SemaphoreSlim(0, 1);
        var entering = 0;
        await using var commit = new GroupCommit<int, string>(
            items => Write(batches, items),
            maxBatchSize: 10,
            enterGate: async () =>
            {
                Interlocked.Increment(ref entering);
                await gate.WaitAsync();
                return new Releaser(gate);
            });

        var all = new List<Task<string>> { commit.WriteAsync(1) };
        while (Volatile.Read(ref entering) == 0)
        {
            await Task.Delay(5);
        }

        all.AddRange(Enumerable.Range(2, 3).Select(commit.WriteAsync));
        gate.Release();

        Assert.Equal(["1", "2", "3", "4"], await Task.WhenAll(all).WaitAsync(Patience));
        Assert.Equal([[1, 2, 3, 4]], batches);
    }

    [Fact]
    public async Task A_gate_that_cannot_be_entered_fails_the_queued_writes_and_the_loop_goes_on()
    {
        var batches = new List<int[]>();
        var refuse = true;
        await using var commit = new GroupCommit<int, string>(
            items => Write(batches, items),
            maxBatchSize: 10,
            enterGate: () => refuse ? throw new ObjectDisposedException("gate") : ValueTask.FromResult<IDisposable?>(null));

        await Assert.ThrowsAsync<ObjectDisposedException>(() => commit.WriteAsync(1).WaitAsync(Patience));
        refuse = false;

        Assert.Equal("2", await commit.WriteAsync(2).WaitAsync(Patience));
        Assert.Equal([[2]], batches);
    }

    [Fact]
    public async Task A_gate_disposed_while_held_does_not_stop_the_loop()
    {
        var batches = new List<int[]>();
        await using var commit = new GroupCommit<int, string>(
            items => Write(batches, items),
            maxBatchSize: 10,
            enterGate: () => ValueTask.FromResult<IDisposable?>(new DisposedGate()));

        Assert.Equal("1", await commit.WriteAsync(1).WaitAsync(Patience));
        Assert.Equal("2", await commit.WriteAsync(2).WaitAsync(Patience));
        Assert.Equal([[1], [2]], batches);
    }

    [Fact]
    public async Task A_batch_never_exceeds_the_maximum_size()
    {
        var batches = new List<int[]>();
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var commit = new GroupCommit<int, string>(
            async items =>
            {
                await releaseFirst.Task;
                return await Write(batches, items);
            },
            maxBatchSize: 3);

        var all = Enumerable.Range(0, 8).Select(commit.WriteAsync).ToArray();
        releaseFirst.SetResult();
        await Task.WhenAll(all).WaitAsync(Patience);

        Assert.All(batches, batch => Assert.InRange(batch.Length, 1, 3));
        Assert.Equal(Enumerable.Range(0, 8), batches.SelectMany(batch => batch));
    }

    [Fact]
    public async Task A_failed_batch_fails_each_of_its_callers_and_the_next_batch_is_still_written()
    {
        var batches = new List<int[]>();
        await using var commit = new GroupCommit<int, string>(
            items => items.Contains(13) ? throw new InvalidOperationException("database away") : Write(batches, items),
            maxBatchSize: 10);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => commit.WriteAsync(13).WaitAsync(Patience));
        var next = await commit.WriteAsync(14).WaitAsync(Patience);

        Assert.Equal("database away", failure.Message);
        Assert.Equal("14", next);
    }

    [Fact]
    public async Task Disposing_writes_what_is_queued_and_then_refuses_new_items()
    {
        var batches = new List<int[]>();
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commit = new GroupCommit<int, string>(
            async items =>
            {
                await releaseFirst.Task;
                return await Write(batches, items);
            },
            maxBatchSize: 10);
        var queued = Enumerable.Range(0, 4).Select(commit.WriteAsync).ToArray();

        var disposing = commit.DisposeAsync().AsTask();
        releaseFirst.SetResult();
        await disposing.WaitAsync(Patience);

        Assert.Equal(["0", "1", "2", "3"], await Task.WhenAll(queued));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => commit.WriteAsync(5));
    }

    [Fact]
    public async Task Writes_made_while_the_first_one_lingers_share_its_batch()
    {
        var batches = new List<int[]>();
        await using var commit = new GroupCommit<int, string>(items => Write(batches, items), maxBatchSize: 10, linger: TimeSpan.FromSeconds(3));

        var first = commit.WriteAsync(1);
        await Task.Delay(50);
        var later = new[] { commit.WriteAsync(2), commit.WriteAsync(3) };

        Assert.Equal("1", await first.WaitAsync(Patience));
        Assert.Equal(["2", "3"], await Task.WhenAll(later).WaitAsync(Patience));
        Assert.Equal([1, 2, 3], Assert.Single(batches));
    }

    [Fact]
    public async Task An_item_queued_while_a_batch_is_written_lingers_only_what_is_left_of_its_time()
    {
        var writer = new FirstBatchHeld();
        var time = new FakeTimeProvider();
        await using var commit = new GroupCommit<int, string>(writer.WriteAsync, maxBatchSize: 10, linger: TimeSpan.FromSeconds(1), time: time);

        var first = commit.WriteAsync(0);
        while (!writer.Started.Task.IsCompleted)
        {
            // Again and again: the loop may read the clock just before a move and set its timer just after.
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(writer.Started.Task, Task.Delay(10));
        }

        var second = commit.WriteAsync(1);
        time.Advance(TimeSpan.FromSeconds(1)); // the second item's linger is over while the first batch is still being written
        writer.Release.SetResult();

        Assert.Equal("0", await first.WaitAsync(Patience));
        Assert.Equal("1", await second.WaitAsync(Patience)); // no clock moves from here on: a fresh linger would never end
        Assert.Equal([[0], [1]], writer.Batches);
    }

    [Fact]
    public async Task A_full_batch_is_written_without_lingering()
    {
        var batches = new List<int[]>();
        await using var commit = new GroupCommit<int, string>(items => Write(batches, items), maxBatchSize: 1, linger: TimeSpan.FromHours(1));

        Assert.Equal("1", await commit.WriteAsync(1).WaitAsync(Patience));
    }

    [Fact]
    public async Task Disposing_writes_lingering_items_at_once()
    {
        var batches = new List<int[]>();
        var commit = new GroupCommit<int, string>(items => Write(batches, items), maxBatchSize: 10, linger: TimeSpan.FromHours(1));
        var queued = new[] { commit.WriteAsync(1), commit.WriteAsync(2) };

        await commit.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(["1", "2"], await Task.WhenAll(queued));
    }

    /// <summary>Leaving it fails as releasing a semaphore disposed at shutdown does.</summary>
    private sealed class DisposedGate : IDisposable
    {
        public void Dispose() => throw new ObjectDisposedException(nameof(SemaphoreSlim));
    }

    /// <summary>Writes batches as <see cref="Write"/> does, but holds the first one until released.</summary>
    private sealed class FirstBatchHeld
    {
        public List<int[]> Batches { get; } = [];

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<IReadOnlyList<string>> WriteAsync(IReadOnlyList<int> items)
        {
            if (Batches.Count == 0)
            {
                Started.SetResult();
                await Release.Task.WaitAsync(Patience); // a test that fails before releasing it must not hang at disposal
            }

            return await Write(Batches, items);
        }
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    private static Task<IReadOnlyList<string>> Write(List<int[]> batches, IReadOnlyList<int> items)
    {
        lock (batches)
        {
            batches.Add([.. items]);
        }

        return Task.FromResult<IReadOnlyList<string>>([.. items.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }
}
