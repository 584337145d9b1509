using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>
/// The pipeline around every WeChat API request, one instance per account (so each account has its
/// own rate limiter and circuit breaker). Outer to inner: rate limiter → retry → circuit breaker →
/// attempt timeout. Retries cover transport errors, HTTP 5xx and errcode -1 with jittered backoff —
/// but a non-idempotent call is only retried when WeChat certainly did not act on it: the request
/// never left, or the answer says it was refused (503, 429). A 500, 502 or 504 may come from a
/// gateway after the message went out. The breaker
/// opens when WeChat is unreachable, so a dead endpoint is not hammered by every worker.
/// </summary>
public static class WeChatResilience
{
    public const int MaxRetryAttempts = 3;

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, WeChatOptions options, string appId)
    {
        var rate = options.Accounts.FirstOrDefault(a => a.AppId == appId)?.ApiRequestsPerSecond ?? new WeChatAccountOptions().ApiRequestsPerSecond;
        pipeline.AddRateLimiter(new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = rate,
            TokensPerPeriod = Math.Max(1, rate / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 100_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        }));

        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = MaxRetryAttempts,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ShouldRetryAsync(args.Outcome, WeChatRequest.IsIdempotent(args.Context.GetRequestMessage())),
        });

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 20,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(10),
            // Trips on WeChat being unreachable (transport errors, timeouts, 5xx), not on errcode -1:
            // "system busy" is an answer, retried with backoff; counting it would pace a burst of -1
            // to one probe per break and hold every reply of the account for minutes.
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException or TimeoutRejectedException } => true,
                { Result: { } response } => (int)response.StatusCode >= 500,
                _ => false,
            }),
        });

        pipeline.AddTimeout(TimeSpan.FromSeconds(options.ApiAttemptTimeoutSeconds));
    }

    private static async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, bool idempotent) => outcome switch
    {
        { Exception: HttpRequestException ex } => idempotent || NeverLeft(ex),
        { Exception: TimeoutRejectedException } => idempotent,
        { Result: { } response } => IsRepeatable(response.StatusCode, idempotent) || await IsSystemBusyAsync(response),
        _ => false,
    };

    /// <summary>Whether a request answered with this status may be sent again (false for every success and 4xx but 429).</summary>
    internal static bool IsRepeatable(HttpStatusCode status, bool idempotent) =>
        status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests || (idempotent && (int)status >= 500);

    private static bool NeverLeft(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;

    /// <summary>errcode -1 ("system busy") arrives with HTTP 200; the body is buffered so the caller can still read it.</summary>
    private static async ValueTask<bool> IsSystemBusyAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength > 4096)
        {
            return false;
        }

        await response.Content.LoadIntoBufferAsync();
        var body = await response.Content.ReadAsByteArrayAsync();
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.CurrentDepth == 1)
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("errcode"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.GetInt32() == WeChatErrorCodes.SystemBusy;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return false;
    }
}
