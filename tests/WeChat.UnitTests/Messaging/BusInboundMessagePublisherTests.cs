using System.Collections.Concurrent;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;
using WeChat.Application.Contracts;
using WeChat.Infrastructure.Messaging;
using WeChat.Infrastructure.Persistence;
using WeChat.Infrastructure.Protocol;

namespace WeChat.UnitTests.Messaging;

/// <summary>
/// The publisher's broker attempts against MassTransit's in-memory transport, with a send filter that
/// holds every send until the test lets it through (a broker slow to confirm).
/// </summary>
public sealed class BusInboundMessagePublisherTests : IAsyncLifetime
{
    private readonly HeldSends _held = new();
    private readonly BrokerAvailability _broker = new(TimeProvider.System);
    private ServiceProvider _services = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _services = new ServiceCollection()
            .AddMassTransitTestHarness(bus => bus.UsingInMemory((context, transport) =>
            {
                transport.ConfigureSend(send => send.UseFilter(_held));
                transport.ConfigureEndpoints(context);
            }))
            .BuildServiceProvider(true);
        _harness = _services.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        _held.ReleaseAll();
        await _services.DisposeAsync();
        _broker.Dispose();
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_leaves_its_send_going_uncancelled()
    {
        var publisher = Publisher(new InFlightSends());
        using var window = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var sent = await publisher.TrySendAsync(Message("1"), window.Token);
        Assert.False(sent.Confirmed);
        Assert.False(sent.Unfinished!.IsCompleted);
        _held.ReleaseAll();

        // The send itself, not the harness's sent list: that one stops waiting once the bus has been
        // inactive for its timeout, which a slow first send on a loaded machine can outlast.
        await sent.Unfinished.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["1"], _held.Delivered);
        Assert.Equal([false], _held.CancelledWhenReleased);
    }

    [Fact]
    public async Task An_overdue_send_opens_the_circuit_and_is_waited_for_not_sent_again()
    {
        var publisher = Publisher(new InFlightSends(), attemptTimeoutMilliseconds: 50);
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var sending = publisher.TrySendAsync(Message("2"), window.Token);
        await WaitUntilAsync(() => !_broker.Begin(TimeSpan.FromSeconds(1)).TriesBroker || _held.Started > 1);
        Assert.Equal(1, _held.Started);
        _held.ReleaseAll();

        Assert.True((await sending).Confirmed);
        Assert.Equal(1, _held.Started);
    }

    [Fact]
    public async Task With_every_slot_in_flight_a_callback_goes_to_the_fallback_without_another_send()
    {
        var sends = new InFlightSends(capacity: 2);
        var publisher = Publisher(sends);
        foreach (var key in new[] { "3", "4" })
        {
            using var brief = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            Assert.False((await publisher.TrySendAsync(Message(key), brief.Token)).Confirmed);
        }

        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(default, await publisher.TrySendAsync(Message("5"), window.Token));
        Assert.False(window.IsCancellationRequested);
        Assert.Equal((2, 2), (_held.Started, sends.Count));

        _held.ReleaseAll();
        await WaitUntilAsync(() => sends.Count == 0);
        Assert.True((await publisher.TrySendAsync(Message("6"), window.Token)).Confirmed);
    }

    private BusInboundMessagePublisher Publisher(InFlightSends sends, int attemptTimeoutMilliseconds = 1000)
    {
        var options = Options.Create(new MessagingOptions { InboundQueueName = "publisher-tests", PublishAttemptTimeoutMilliseconds = attemptTimeoutMilliseconds });
        return new(
            _harness.Bus,
            new NoDatabase(),
            new OpenWriteGate(),
            _broker,
            sends,
            new InboundQueueDeclaration(new ConfigurationBuilder().Build(), options, TimeProvider.System, NullLogger<InboundQueueDeclaration>.Instance),
            options,
            TimeProvider.System,
            NullLogger<BusInboundMessagePublisher>.Instance);
    }

    private static InboundMessageReceived Message(string dedupKey)
    {
        const string xml = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oFollower]]></FromUserName><CreateTime>1</CreateTime>"
            + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]></Content><MsgId>1</MsgId></xml>";
        return new InboundMessageReceived("wx-publisher-tests", dedupKey, InboundMessageParser.Parse(xml), xml, DateTimeOffset.UnixEpoch);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Holds sends at the transport until released; records whether each one's token had been cancelled
    /// by then, and the dedup key of each callback the transport took.
    /// </summary>
    private sealed class HeldSends : IFilter<SendContext>
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public ConcurrentQueue<bool> CancelledWhenReleased { get; } = new();

        public ConcurrentQueue<string> Delivered { get; } = new();

        public void ReleaseAll() => _release.TrySetResult();

        public async Task Send(SendContext context, IPipe<SendContext> next)
        {
            Interlocked.Increment(ref _started);
            await _release.Task;
            CancelledWhenReleased.Enqueue(context.CancellationToken.IsCancellationRequested);
            await next.Send(context);
            if (context is SendContext<InboundMessageReceived> callback)
            {
                Delivered.Enqueue(callback.Message.DedupKey);
            }
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("held-sends");
    }

    /// <summary>The broker attempts under test never reach the database fallback.</summary>
    private sealed class NoDatabase : IDbContextFactory<WeChatDbContext>
    {
        public WeChatDbContext CreateDbContext() => throw new InvalidOperationException("These tests do not use the database.");
    }
}
