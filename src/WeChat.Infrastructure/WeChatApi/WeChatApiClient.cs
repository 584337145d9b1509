using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Common.Observability;
using WeChat.Infrastructure.WeChatApi.Credentials;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>
/// The typed client for <c>WeChat:ApiBaseUrl</c>. Every call parses the body and decides on
/// <c>errcode</c> (keeping the <c>rid</c>); a refused token (40001/40014/42001) is invalidated only if
/// it is still the one that failed, and the call is retried exactly once. Transport retries, timeouts,
/// the per-account circuit breaker and rate limiter live in the resilience pipeline
/// (<see cref="WeChatResilience"/>).
/// </summary>
public sealed partial class WeChatApiClient(IHttpClientFactory httpClients, IAccessTokenProvider tokens, WeChatMetrics metrics, ILogger<WeChatApiClient> logger)
{
    /// <summary>Calls an API that takes the account's access token.</summary>
    internal async Task<WeChatResult<T>> CallAsync<T>(
        string appId,
        string operation,
        bool idempotent,
        Func<string, HttpRequestMessage> build,
        Func<JsonElement, T> read,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            AccessTokenLease token;
            try
            {
                token = await tokens.GetAsync(appId, cancellationToken);
            }
            catch (CredentialUnavailableException ex)
            {
                return Record(appId, operation, WeChatResult.Fail<T>(ex.Failure, ex.ErrorCode, ex.ErrorMessage, WeChatErrorCodes.ExtractRid(ex.ErrorMessage)));
            }
            catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
            {
                return Record(appId, operation, WeChatResult.Fail<T>(WeChatFailure.Transient, 0, "access token unavailable: " + ex.GetType().Name));
            }

            using var request = build(token.Value);
            var result = await SendAsync(appId, request, idempotent, read, cancellationToken);
            if (attempt == 1 && WeChatErrorCodes.IsTokenRejected(result.ErrorCode))
            {
                // Counted (wechat.api.errors shows the 40001), not logged: the token provider logs the invalidation.
                metrics.ApiCallCompleted(appId, operation, result.Failure, result.ErrorCode);
                await tokens.InvalidateAsync(appId, token.Version, cancellationToken);
                continue;
            }

            return Record(appId, operation, result);
        }
    }

    /// <summary>Calls an API that authenticates otherwise (OAuth endpoints take the AppSecret or a user token).</summary>
    internal async Task<WeChatResult<T>> CallWithoutTokenAsync<T>(
        string appId,
        string operation,
        bool idempotent,
        HttpRequestMessage request,
        Func<JsonElement, T> read,
        CancellationToken cancellationToken)
    {
        using (request)
        {
            return Record(appId, operation, await SendAsync(appId, request, idempotent, read, cancellationToken));
        }
    }

    internal static string WithToken(string path, string token, string? query = null) =>
        $"{path}?access_token={Uri.EscapeDataString(token)}{(string.IsNullOrEmpty(query) ? string.Empty : "&" + query)}";

    private async Task<WeChatResult<T>> SendAsync<T>(string appId, HttpRequestMessage request, bool idempotent, Func<JsonElement, T> read, CancellationToken cancellationToken)
    {
        WeChatRequest.Describe(request, appId, idempotent);
        try
        {
            using var response = await httpClients.CreateClient(WeChatApiRegistration.HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var failure = WeChatResilience.IsRepeatable(response.StatusCode, idempotent) ? WeChatFailure.Transient
                    : (int)response.StatusCode >= 500 ? WeChatFailure.Ambiguous
                    : WeChatFailure.Rejected;
                return WeChatResult.Fail<T>(failure, (int)response.StatusCode, $"HTTP {(int)response.StatusCode}");
            }

            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = json.RootElement;
            var errorCode = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errcode", out var code) ? code.GetInt32() : 0;
            if (errorCode != 0)
            {
                var message = root.TryGetProperty("errmsg", out var errmsg) ? errmsg.GetString() : null;
                return WeChatResult.Fail<T>(WeChatErrorCodes.Classify(errorCode), errorCode, message, WeChatErrorCodes.ExtractRid(message));
            }

            return WeChatResult.Success(read(root));
        }
        catch (JsonException)
        {
            return WeChatResult.Fail<T>(idempotent ? WeChatFailure.Transient : WeChatFailure.Ambiguous, 0, "response is not JSON");
        }
        catch (Exception ex) when (ex is BrokenCircuitException or RateLimiterRejectedException)
        {
            return WeChatResult.Fail<T>(WeChatFailure.Transient, 0, ex is BrokenCircuitException ? "circuit open" : "rate limited");
        }
        catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
        {
            // A request that certainly never left can be repeated; otherwise a non-idempotent call is ambiguous.
            var safeToRepeat = idempotent || ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError };
            return WeChatResult.Fail<T>(safeToRepeat ? WeChatFailure.Transient : WeChatFailure.Ambiguous, 0, ex is TimeoutRejectedException or TaskCanceledException ? "timeout" : ex.Message);
        }
    }

    private static bool IsTransportFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TimeoutRejectedException or IOException
        || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private WeChatResult<T> Record<T>(string appId, string operation, WeChatResult<T> result)
    {
        metrics.ApiCallCompleted(appId, operation, result.Failure, result.ErrorCode);
        if (!result.Succeeded)
        {
            LogCallFailed(logger, operation, appId, result.Failure, result.ErrorCode, result.Rid);
        }

        return result;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "WeChat {Operation} for {AppId} failed: {Failure}, errcode {ErrorCode}, rid {Rid}")]
    private static partial void LogCallFailed(ILogger logger, string operation, string appId, WeChatFailure failure, int errorCode, string? rid);
}
