using WeChat.Infrastructure.Messaging;

namespace WeChat.UnitTests.Messaging;

public sealed class InFlightSendsTests
{
    [Fact]
    public async Task Past_the_capacity_nothing_starts_until_a_send_finishes()
    {
        var sends = new InFlightSends(capacity: 2);
        var first = new TaskCompletionSource();
        var second = new TaskCompletionSource();
        var started = 0;

        Assert.NotNull(sends.TryStart(() => { started++; return first.Task; }));
        Assert.NotNull(sends.TryStart(() => { started++; return second.Task; }));
        Assert.Null(sends.TryStart(() => { started++; return Task.CompletedTask; }));
        Assert.Equal((2, 2), (started, sends.Count));

        first.SetResult();
        await first.Task;
        Assert.Equal(1, sends.Count);
        Assert.NotNull(sends.TryStart(() => { started++; return Task.CompletedTask; }));
        Assert.Equal(3, started);
    }

    [Fact]
    public async Task A_send_that_fails_or_throws_at_once_frees_its_slot_and_reports_its_failure()
    {
        var sends = new InFlightSends(capacity: 1);

        var thrown = sends.TryStart(() => throw new InvalidOperationException("no channel"));
        Assert.NotNull(thrown);
        await Assert.ThrowsAsync<InvalidOperationException>(() => thrown);
        Assert.Equal(0, sends.Count);

        var failing = new TaskCompletionSource();
        var faulted = sends.TryStart(() => failing.Task)!;
        failing.SetException(new TimeoutException("no confirm"));
        await Assert.ThrowsAsync<TimeoutException>(() => faulted);
        Assert.Equal(0, sends.Count);
    }
}
