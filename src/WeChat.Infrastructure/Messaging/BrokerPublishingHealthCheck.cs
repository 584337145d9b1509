using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace WeChat.Infrastructure.Messaging;

/// <summary>
/// The broker as the callback path sees it, on the publishing hosts' <c>/health/ready</c>. MassTransit's
/// own bus check watches receive endpoints, which the API has none of, so it stays Healthy through a
/// broker outage. Degraded (still HTTP 200: callbacks are acknowledged from the database fallback, the
/// API should keep receiving them) while publishes go unconfirmed, with since when and how many sends
/// are still out. Degraded for minutes while RabbitMQ itself is up means the API's channel is stuck:
/// docs/troubleshooting.md says what to do.
/// </summary>
public sealed class BrokerPublishingHealthCheck(BrokerAvailability broker, InFlightSends sends, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (broker.OpenSince is not { } since)
        {
            return Task.FromResult(HealthCheckResult.Healthy("The broker confirms publishes."));
        }

        var seconds = Math.Max(0, (int)(time.GetUtcNow() - since).TotalSeconds);
        return Task.FromResult(HealthCheckResult.Degraded(
            $"The broker has confirmed no publish for {seconds} s; callbacks are stored in the database and relayed when it confirms again.",
            data: new Dictionary<string, object>
            {
                ["unconfirmedSince"] = since.ToString("O"),
                ["sendsInFlight"] = sends.Count,
            }));
    }
}
