using System.Text.Json;
using System.Text.Json.Nodes;
using WeChat.Application.Abstractions.WeChatApi;

namespace WeChat.Infrastructure.WeChatApi;

public sealed class WeChatCustomerServiceApi(WeChatApiClient client) : IWeChatCustomerServiceApi
{
    public Task<WeChatResult<IReadOnlyList<KfAccountInfo>>> GetAgentsAsync(string appId, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "customservice/getkflist", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("cgi-bin/customservice/getkflist", token)),
            root => (IReadOnlyList<KfAccountInfo>)Items(root, "kf_list").Select(item => new KfAccountInfo(
                item.GetProperty("kf_account").GetString()!,
                Text(item, "kf_nick") ?? string.Empty,
                Text(item, "kf_id"),
                Text(item, "invite_status"))).ToList(),
            cancellationToken);

    public Task<WeChatResult<IReadOnlyList<OnlineKfAccount>>> GetOnlineAgentsAsync(string appId, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "customservice/getonlinekflist", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("cgi-bin/customservice/getonlinekflist", token)),
            root => (IReadOnlyList<OnlineKfAccount>)Items(root, "kf_online_list").Select(item => new OnlineKfAccount(
                item.GetProperty("kf_account").GetString()!,
                item.TryGetProperty("status", out var status) ? status.GetInt32() : 0,
                Text(item, "kf_id"),
                item.TryGetProperty("accepted_case", out var accepted) ? accepted.GetInt32() : 0)).ToList(),
            cancellationToken);

    /// <summary>Idempotent on WeChat's side: creating an existing session succeeds.</summary>
    public Task<WeChatResult<Empty>> CreateSessionAsync(string appId, string kfAccount, string openId, CancellationToken cancellationToken) =>
        Session(appId, "create", kfAccount, openId, cancellationToken);

    public Task<WeChatResult<Empty>> CloseSessionAsync(string appId, string kfAccount, string openId, CancellationToken cancellationToken) =>
        Session(appId, "close", kfAccount, openId, cancellationToken);

    public Task<WeChatResult<KfSessionInfo>> GetSessionAsync(string appId, string openId, CancellationToken cancellationToken) =>
        client.CallAsync(appId, "kfsession/getsession", idempotent: true,
            token => new HttpRequestMessage(HttpMethod.Get, WeChatApiClient.WithToken("customservice/kfsession/getsession", token, "openid=" + Uri.EscapeDataString(openId))),
            root => new KfSessionInfo(
                Text(root, "kf_account") is { Length: > 0 } account ? account : null,
                root.TryGetProperty("createtime", out var created) ? created.GetInt64() : null),
            cancellationToken);

    private Task<WeChatResult<Empty>> Session(string appId, string action, string kfAccount, string openId, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["kf_account"] = kfAccount, ["openid"] = openId };
        return client.CallAsync(appId, "kfsession/" + action, idempotent: true,
            token => WeChatMessagingApi.Post(WeChatApiClient.WithToken("customservice/kfsession/" + action, token), body),
            _ => default(Empty), cancellationToken);
    }

    internal static IEnumerable<JsonElement> Items(JsonElement root, string name) =>
        root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];

    internal static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
