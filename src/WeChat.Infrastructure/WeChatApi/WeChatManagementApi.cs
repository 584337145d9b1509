using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using WeChat.Application.Abstractions.WeChatApi;

namespace WeChat.Infrastructure.WeChatApi;

public sealed class WeChatManagementApi(WeChatApiClient client) : IWeChatManagementApi
{
    public Task<WeChatResult<Empty>> CreateMenuAsync(string appId, JsonObject menu, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "menu/create", idempotent: true,
            token => WeChatMessagingApi.Post(WeChatApiClient.WithToken("cgi-bin/menu/create", token), menu),
            _ => default(Empty), cancellationToken);

    public Task<WeChatResult<JsonObject>> GetMenuAsync(string appId, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "menu/get", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("cgi-bin/menu/get", token)),
            root => JsonNode.Parse(root.GetRawText())!.AsObject(), cancellationToken);

    public Task<WeChatResult<Empty>> DeleteMenuAsync(string appId, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "menu/delete", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("cgi-bin/menu/delete", token)),
            _ => default(Empty), cancellationToken);

    public Task<WeChatResult<WeChatUserInfo>> GetUserInfoAsync(string appId, string openId, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "user/info", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("cgi-bin/user/info", token, $"openid={Uri.EscapeDataString(openId)}&lang=zh_CN")),
            ReadUser, cancellationToken);

    public Task<WeChatResult<IReadOnlyList<WeChatUserInfo>>> GetUserInfosAsync(string appId, IReadOnlyList<string> openIds, CancellationToken cancellationToken)
    {
        if (openIds.Count > 100)
        {
            throw new ArgumentException("WeChat returns at most 100 users per call.", nameof(openIds));
        }

        var body = new JsonObject
        {
            ["user_list"] = new JsonArray(openIds.Select(id => (JsonNode)new JsonObject { ["openid"] = id, ["lang"] = "zh_CN" }).ToArray()),
        };
        return client.CallAsync(appId, "user/info/batchget", idempotent: true,
            token => WeChatMessagingApi.Post(WeChatApiClient.WithToken("cgi-bin/user/info/batchget", token), body),
            root => (IReadOnlyList<WeChatUserInfo>)WeChatCustomerServiceApi.Items(root, "user_info_list").Select(ReadUser).ToList(),
            cancellationToken);
    }

    public Task<WeChatResult<QrCodeTicket>> CreateQrCodeAsync(string appId, QrCodeRequest request, CancellationToken cancellationToken)
    {
        var scene = new JsonObject();
        if (request.SceneString is not null)
        {
            scene["scene_str"] = request.SceneString;
        }
        else
        {
            scene["scene_id"] = request.SceneId ?? throw new ArgumentException("A QR code needs a scene id or a scene string.", nameof(request));
        }

        var body = new JsonObject { ["action_name"] = request.ActionName, ["action_info"] = new JsonObject { ["scene"] = scene } };
        if (request.ExpireSeconds is { } expire)
        {
            body["expire_seconds"] = expire;
        }

        return client.CallAsync(appId, "qrcode/create", idempotent: true,
            token => WeChatMessagingApi.Post(WeChatApiClient.WithToken("cgi-bin/qrcode/create", token), body),
            root => new QrCodeTicket(
                root.GetProperty("ticket").GetString()!,
                root.TryGetProperty("expire_seconds", out var expires) ? expires.GetInt32() : null,
                WeChatCustomerServiceApi.Text(root, "url") ?? string.Empty),
            cancellationToken);
    }

    public async Task<WeChatResult<UploadedMedia>> UploadTemporaryMediaAsync(string appId, string mediaType, Stream content, string fileName, CancellationToken cancellationToken)
    {
        // Buffered once so that a retry can send the same bytes again.
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();

        return await client.CallAsync(appId, "media/upload", idempotent: true,
            token =>
            {
                var file = new ByteArrayContent(bytes);
                file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                var form = new MultipartFormDataContent { { file, "media", fileName } };
                return new HttpRequestMessage(HttpMethod.Post, WeChatApiClient.WithToken("cgi-bin/media/upload", token, "type=" + Uri.EscapeDataString(mediaType))) { Content = form };
            },
            root => new UploadedMedia(
                WeChatCustomerServiceApi.Text(root, "type") ?? mediaType,
                root.GetProperty("media_id").GetString()!,
                root.TryGetProperty("created_at", out var created) ? ReadLong(created) : 0),
            cancellationToken);
    }

    public Task<WeChatResult<IReadOnlyList<string>>> GetCallbackIpsAsync(string appId, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "getcallbackip", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("cgi-bin/getcallbackip", token)),
            root => (IReadOnlyList<string>)WeChatCustomerServiceApi.Items(root, "ip_list").Select(ip => ip.GetString()!).ToList(),
            cancellationToken);

    private static WeChatUserInfo ReadUser(JsonElement user) => new(
        user.GetProperty("openid").GetString()!,
        user.TryGetProperty("subscribe", out var subscribe) && subscribe.GetInt32() == 1,
        WeChatCustomerServiceApi.Text(user, "language"),
        user.TryGetProperty("subscribe_time", out var time) ? time.GetInt64() : null,
        WeChatCustomerServiceApi.Text(user, "unionid"),
        WeChatCustomerServiceApi.Text(user, "remark"),
        WeChatCustomerServiceApi.Text(user, "subscribe_scene"),
        user.TryGetProperty("qr_scene", out var scene) ? scene.GetInt64() : null,
        WeChatCustomerServiceApi.Text(user, "qr_scene_str"),
        WeChatCustomerServiceApi.Items(user, "tagid_list").Select(tag => tag.GetInt32()).ToList());

    // WeChat sends created_at as a number on some endpoints and as a string on others.
    private static long ReadLong(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : value.GetInt64();
}
