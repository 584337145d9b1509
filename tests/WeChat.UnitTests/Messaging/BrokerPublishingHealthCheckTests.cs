using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using WeChat.Infrastructure.Messaging;

namespace WeChat.UnitTests.Messaging;

public sealed class BrokerPublishingHealthCheckTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly BrokerAvailability _broker;
    private readonly InFlightSends _sends = new();
    private readonly BrokerPublishingHealthCheck _check;

    public BrokerPublishingHealthCheckTests()
    {
        _broker = new BrokerAvailability(_time);
        _check = new BrokerPublishingHealthCheck(_broker, _sends, _time);
    }

    public void Dispose() => _broker.Dispose();

    [Fact]
    public async Task Healthy_while_the_broker_confirms_degraded_with_since_when_after_it_stops_and_healthy_once_it_confirms_again()
    {
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        var opened = _time.GetUtcNow();
        _broker.Overdue();
        _ = _sends.TryStart(() => new TaskCompletionSource().Task); // a send still waiting for its confirm
        _time.Advance(TimeSpan.FromSeconds(95));
        var degraded = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("no publish for 95 s", degraded.Description, StringComparison.Ordinal);
        Assert.Equal(opened.ToString("O"), degraded.Data["unconfirmedSince"]);
        Assert.Equal(1, degraded.Data["sendsInFlight"]);

        _broker.Confirmed();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
        Assert.Null(_broker.OpenSince);
    }

    private Task<HealthCheckResult> CheckAsync() =>
        _check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("broker-publish", _check, null, null) });
}
