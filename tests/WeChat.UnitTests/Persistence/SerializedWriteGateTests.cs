using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WeChat.Application.Common.Observability;
using WeChat.Infrastructure.Persistence;

namespace WeChat.UnitTests.Persistence;

public sealed class SerializedWriteGateTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddSingleton<WeChatMetrics>().BuildServiceProvider();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _recorded = new();
    private readonly MeterListener _listener = new();

    public SerializedWriteGateTests()
    {
        // Only this test's meter (its factory is the scope): other tests' WeChatMetrics report to every listener too.
        var meters = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name.StartsWith("wechat.db.write_gate.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => _recorded.GetOrAdd(instrument.Name, _ => new()).Enqueue(value));
        _listener.Start();
    }

    [Fact]
    public async Task Writers_take_turns_and_each_ones_wait_and_hold_are_recorded()
    {
        using var gate = new SerializedWriteGate(_services.GetRequiredService<WeChatMetrics>(), _time, processTurn: null);

        var first = await gate.EnterAsync(CancellationToken.None);
        var second = gate.EnterAsync(CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.False(second.IsCompleted);

        first.Dispose();
        first.Dispose();
        var secondTurn = await second.WaitAsync(TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(2));
        secondTurn.Dispose();

        Assert.Equal([0, 30], _recorded["wechat.db.write_gate.wait"]);
        Assert.Equal([30, 2], _recorded["wechat.db.write_gate.hold"]);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
