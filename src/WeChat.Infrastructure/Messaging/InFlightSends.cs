namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// Broker sends that run to their end once started: a caller that stops waiting for one leaves it
/// going rather than cancelling it. RabbitMQ.Client 7.2 loses track of a channel's replies when an
/// operation on it is cancelled mid-way (rabbitmq-dotnet-client#1964, fixed after 7.2.2): every later
/// queue declare on that channel then times out, and the API could publish nothing until restarted —
/// measured here as 810 of 2,000 acknowledged callbacks left in the relay table for good after one
/// burst of overdue confirms. A send left going may still reach the queue after its callback was
/// stored for relay; the worker's inbox makes the second copy a no-op. At most
/// <see cref="Capacity"/> sends are in flight, so a broker that never answers cannot pile up unbounded
/// work: past that, callers go straight to the database fallback until sends finish.
/// </summary>
public sealed class InFlightSends
{
    /// <summary>About ten seconds of a busy account's callbacks; a few kilobytes each.</summary>
    public const int DefaultCapacity = 10_000;

    private int _count;

    public InFlightSends(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Starts <paramref name="send"/> (with no cancellation) unless the capacity is used up; null then.</summary>
    public Task? TryStart(Func<Task> send)
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            return null;
        }

        Task task;
        try
        {
            task = send();
        }
        catch (Exception ex)
        {
            task = Task.FromException(ex);
        }

        // Observes the outcome whether or not anybody still waits for it (no unobserved task exceptions).
        _ = task.ContinueWith(static (finished, state) =>
        {
            _ = finished.Exception;
            Interlocked.Decrement(ref ((InFlightSends)state!)._count);
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }
}
