using System.Text.Json.Nodes;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Domain.Replies;

namespace WeChat.Infrastructure.WeChatApi;

public sealed class WeChatMessagingApi(WeChatApiClient client) : IWeChatMessagingApi
{
    public Task<WeChatResult<Empty>> SendCustomerServiceMessageAsync(string appId, string toUser, ReplyContent content, string? kfAccount, CancellationToken cancellationToken)
    {
        var body = CustomerServiceMessageJson.Build(toUser, content, kfAccount);
        // No idempotency key exists for this API: never repeat it after the request may have left.
        return client.CallAsync(appId, "message/custom/send", idempotent: false,
            token => Post(WeChatApiClient.WithToken("cgi-bin/message/custom/send", token), body),
            _ => default(Empty), cancellationToken);
    }

    public Task<WeChatResult<Empty>> SetTypingAsync(string appId, string toUser, bool typing, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["touser"] = toUser, ["command"] = typing ? "Typing" : "CancelTyping" };
        return client.CallAsync(appId, "message/custom/typing", idempotent: true,
            token => Post(WeChatApiClient.WithToken("cgi-bin/message/custom/typing", token), body),
            _ => default(Empty), cancellationToken);
    }

    public Task<WeChatResult<long>> SendTemplateMessageAsync(string appId, TemplateMessageRequest request, CancellationToken cancellationToken)
    {
        var data = new JsonObject();
        foreach (var (key, value) in request.Data)
        {
            data[key] = new JsonObject { ["value"] = value };
        }

        var body = new JsonObject
        {
            ["touser"] = request.ToUser,
            ["template_id"] = request.TemplateId,
            ["client_msg_id"] = request.ClientMsgId,
            ["data"] = data,
        };
        if (request.Url is not null)
        {
            body["url"] = request.Url;
        }

        if (request.MiniProgramAppId is not null)
        {
            body["miniprogram"] = new JsonObject { ["appid"] = request.MiniProgramAppId, ["pagepath"] = request.MiniProgramPagePath };
        }

        // client_msg_id makes WeChat send one message per (openid, client_msg_id) within 10 minutes, so retries are safe.
        return client.CallAsync(appId, "message/template/send", idempotent: true,
            token => Post(WeChatApiClient.WithToken("cgi-bin/message/template/send", token), body),
            root => root.GetProperty("msgid").GetInt64(), cancellationToken);
    }

    internal static HttpRequestMessage Post(string uri, JsonNode body) => new(HttpMethod.Post, uri) { Content = WeChatContent.Json(body) };
}
