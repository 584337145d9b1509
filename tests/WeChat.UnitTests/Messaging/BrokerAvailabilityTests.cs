using Microsoft.Extensions.Time.Testing;
using WeChat.Infrastructure.Messaging;

namespace WeChat.UnitTests.Messaging;

public sealed class BrokerAvailabilityTests
{
    private static readonly TimeSpan FullWindow = TimeSpan.FromMilliseconds(2200);

    private readonly FakeTimeProvider _time = new();
    private readonly BrokerAvailability _broker;

    public BrokerAvailabilityTests() => _broker = new BrokerAvailability(_time);

    [Fact]
    public void While_the_broker_confirms_every_publish_gets_the_full_window()
    {
        for (var i = 0; i < 3; i++)
        {
            var attempt = _broker.Begin(FullWindow);
            Assert.Equal((FullWindow, false), (attempt.Window, attempt.IsProbe));
            _broker.End(attempt, confirmed: true);
        }
    }

    [Fact]
    public void After_a_failure_one_publish_probes_briefly_and_the_others_go_straight_to_the_fallback()
    {
        Fail();

        var probe = _broker.Begin(FullWindow);
        var meanwhile = Enumerable.Range(0, 5).Select(_ => _broker.Begin(FullWindow)).ToList();

        Assert.Equal((BrokerAvailability.ShortProbe, true), (probe.Window, probe.IsProbe));
        Assert.All(meanwhile, attempt => Assert.False(attempt.TriesBroker));
        _broker.End(probe, confirmed: false);
        Assert.True(_broker.Begin(FullWindow) is { IsProbe: true } next && next.Window == BrokerAvailability.ShortProbe);
    }

    [Fact]
    public void A_confirmed_probe_closes_the_circuit()
    {
        Fail();
        var probe = _broker.Begin(FullWindow);

        _broker.End(probe, confirmed: true);

        AssertClosed();
    }

    [Fact]
    public void A_broker_slow_to_confirm_gets_a_full_window_probe_once_per_interval()
    {
        Fail();
        _time.Advance(BrokerAvailability.FullProbeInterval - TimeSpan.FromMilliseconds(1));
        var shortProbe = _broker.Begin(FullWindow);
        _broker.End(shortProbe, confirmed: false);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var fullProbe = _broker.Begin(FullWindow);
        _broker.End(fullProbe, confirmed: false);
        var next = _broker.Begin(FullWindow);

        Assert.Equal(BrokerAvailability.ShortProbe, shortProbe.Window);
        Assert.Equal((FullWindow, true), (fullProbe.Window, fullProbe.IsProbe));
        Assert.Equal(BrokerAvailability.ShortProbe, next.Window);
    }

    [Fact]
    public void The_relay_getting_a_confirm_closes_the_circuit()
    {
        Fail();

        _broker.Confirmed();

        AssertClosed();
    }

    [Fact]
    public void A_probe_whose_caller_gave_up_frees_the_probe_and_changes_nothing_else()
    {
        Fail();
        var abandoned = _broker.Begin(FullWindow);

        _broker.End(abandoned, confirmed: null);

        Assert.True(_broker.Begin(FullWindow).IsProbe);
    }

    [Fact]
    public void A_caller_that_gave_up_does_not_open_the_circuit()
    {
        var attempt = _broker.Begin(FullWindow);

        _broker.End(attempt, confirmed: null);

        AssertClosed();
    }

    [Fact]
    public void Publishes_waiting_on_a_closed_circuit_are_abandoned_when_one_of_them_fails()
    {
        var waiting = _broker.Begin(FullWindow);
        var failing = _broker.Begin(FullWindow);

        _broker.End(failing, confirmed: false);

        Assert.True(waiting.Abandoned.IsCancellationRequested);
        Assert.False(_broker.Begin(FullWindow).Abandoned.CanBeCanceled);
    }

    [Fact]
    public void An_attempt_overdue_for_its_confirm_opens_the_circuit_at_once()
    {
        var waiting = _broker.Begin(FullWindow);

        _broker.Overdue();

        Assert.True(waiting.Abandoned.IsCancellationRequested);
        Assert.True(_broker.Begin(FullWindow).IsProbe);
    }

    [Fact]
    public void An_abandoned_publish_reporting_late_does_not_open_the_circuit_closed_again_since()
    {
        var abandoned = _broker.Begin(FullWindow);
        _broker.Overdue();
        _broker.End(_broker.Begin(FullWindow), confirmed: true);

        _broker.End(abandoned, confirmed: false);

        AssertClosed();
        Assert.False(_broker.Begin(FullWindow).Abandoned.IsCancellationRequested);
    }

    [Fact]
    public void A_probe_whose_send_is_still_going_keeps_the_slot_and_its_late_confirm_closes_the_circuit()
    {
        Fail();
        var send = new TaskCompletionSource();
        var probe = _broker.Begin(FullWindow);

        _broker.End(probe, confirmed: false, send.Task);

        Assert.False(_broker.Begin(FullWindow).TriesBroker); // no second send while the first is out
        send.SetResult();
        AssertClosed();
    }

    [Fact]
    public void A_probe_whose_send_fails_later_frees_the_slot_and_the_circuit_stays_open()
    {
        Fail();
        var send = new TaskCompletionSource();
        _broker.End(_broker.Begin(FullWindow), confirmed: false, send.Task);

        send.SetException(new InvalidOperationException("channel closed"));

        Assert.True(_broker.Begin(FullWindow).IsProbe);
    }

    [Fact]
    public void A_probe_send_that_never_ends_holds_the_slot_only_for_the_hold_limit()
    {
        Fail();
        var stuck = new TaskCompletionSource();
        _broker.End(_broker.Begin(FullWindow), confirmed: false, stuck.Task);

        _time.Advance(BrokerAvailability.ProbeHoldLimit - TimeSpan.FromSeconds(1));
        Assert.False(_broker.Begin(FullWindow).TriesBroker);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_broker.Begin(FullWindow).IsProbe);
    }

    [Fact]
    public void A_held_probe_ending_after_the_circuit_closed_and_opened_again_leaves_the_new_probe_its_slot()
    {
        Fail();
        var held = new TaskCompletionSource();
        _broker.End(_broker.Begin(FullWindow), confirmed: false, held.Task);
        _broker.Confirmed(); // the relay got one through
        _broker.Overdue();
        var next = _broker.Begin(FullWindow);
        Assert.True(next.IsProbe);

        held.SetException(new InvalidOperationException("gave up"));

        Assert.False(_broker.Begin(FullWindow).TriesBroker);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_probe_of_an_earlier_outage_ending_late_leaves_the_current_probe_its_slot(bool sendStillGoing)
    {
        Fail();
        var earlier = _broker.Begin(FullWindow);
        _broker.Confirmed(); // the relay got one through
        _broker.Overdue();
        Assert.True(_broker.Begin(FullWindow).IsProbe);

        if (sendStillGoing)
        {
            var held = new TaskCompletionSource();
            _broker.End(earlier, confirmed: false, held.Task);
            held.SetException(new InvalidOperationException("gave up"));
        }
        else
        {
            _broker.End(earlier, confirmed: false);
        }

        Assert.False(_broker.Begin(FullWindow).TriesBroker);
    }

    [Fact]
    public void A_publish_left_going_when_the_circuit_opened_closes_it_once_confirmed()
    {
        var send = new TaskCompletionSource();
        var attempt = _broker.Begin(FullWindow);
        _broker.Overdue();
        _broker.End(attempt, confirmed: null, send.Task);

        send.SetResult();

        AssertClosed();
    }

    private void AssertClosed()
    {
        var attempt = _broker.Begin(FullWindow);
        Assert.Equal((FullWindow, false), (attempt.Window, attempt.IsProbe));
    }

    private void Fail()
    {
        var attempt = _broker.Begin(FullWindow);
        Assert.Equal(FullWindow, attempt.Window);
        _broker.End(attempt, confirmed: false);
    }

    [Fact]
    public async Task The_circuit_opening_and_closing_at_once_on_two_threads_never_throws()
    {
        // A publish timing out (opens) while another's confirm arrives (closes): opening cancels the
        // closed period's token after leaving the lock, and closing must not have disposed it meanwhile.
        using var broker = new BrokerAvailability(TimeProvider.System);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        var opening = Task.Run(() =>
        {
            while (DateTime.UtcNow < until)
            {
                broker.Overdue();
            }
        });
        var closing = Task.Run(() =>
        {
            while (DateTime.UtcNow < until)
            {
                broker.Confirmed();
            }
        });

        await Task.WhenAll(opening, closing);
    }
}
