using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>What the resilience pipeline needs to know about a request.</summary>
public static class WeChatRequest
{
    /// <summary>Selects the per-account pipeline (rate limiter and circuit breaker).</summary>
    public static readonly HttpRequestOptionsKey<string> AppId = new("wechat.appId");

    /// <summary>
    /// False for calls WeChat would act on twice (customer-service send, OAuth code exchange): those
    /// are retried only when the request certainly did not leave.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> Idempotent = new("wechat.idempotent");

    public static void Describe(HttpRequestMessage request, string appId, bool idempotent)
    {
        request.Options.Set(AppId, appId);
        request.Options.Set(Idempotent, idempotent);
    }

    public static bool IsIdempotent(HttpRequestMessage? request) =>
        request is null || !request.Options.TryGetValue(Idempotent, out var idempotent) || idempotent;

    public static string PartitionKey(HttpRequestMessage request) =>
        request.Options.TryGetValue(AppId, out var appId) ? appId : "unknown";
}

public static class WeChatContent
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    /// <summary>Buffered UTF-8 JSON with literal CJK; buffered so that a retry can send it again.</summary>
    public static ByteArrayContent Json(JsonNode body)
    {
        var content = new ByteArrayContent(WeChatJson.Serialize(body));
        content.Headers.ContentType = JsonMediaType;
        return content;
    }
}
