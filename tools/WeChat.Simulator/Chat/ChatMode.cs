using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Platform;

namespace WeChat.Simulator.Chat;

/// <summary>
/// Type as a follower, see what the platform sends back. Runs the fake WeChat API in this process
/// (the platform's replies arrive there) and posts each line to the account's callback URL; with
/// <c>--attach URL</c> it uses a simulator that already runs instead (the process stack's).
/// </summary>
public static class ChatMode
{
    private const string Help = """
        Type a message and press Enter. Commands:
          /subscribe [scene]   follow (optionally through a QR scene)   /unsubscribe
          /click KEY           tap a menu button                         /scan SCENE
          /image               send a picture                            /location
          /close               the agent closes your session             /quit
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        Console.OutputEncoding = Encoding.UTF8;
        Console.InputEncoding = Encoding.UTF8;
        var appId = Option(args, "--app-id");
        var openId = Option(args, "--openid") ?? "oChatUser" + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);

        await using IChatPlatform platform = Option(args, "--attach") is { } attach
            ? await AttachedChatPlatform.ConnectAsync(new Uri(attach.EndsWith('/') ? attach : attach + "/"), appId, openId, call => Show(call, openId))
            : await InProcessChatPlatform.StartAsync(args, appId, call => Show(call, openId));
        Console.WriteLine($"You are follower {openId} of {platform.AppId}: {platform.Description}");
        Console.WriteLine(Help);

        while (Console.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line == "/quit")
            {
                break;
            }

            if (line == "/close")
            {
                Console.WriteLine(await platform.CloseSessionAsync(openId) ? "(the agent closed the session)" : "(no agent is serving you)");
                continue;
            }

            PushRequest push;
            try
            {
                push = ToPush(line, openId);
            }
            catch (ArgumentException ex)
            {
                Console.WriteLine(ex.Message);
                continue;
            }

            if (await platform.SendAsync(push) is { } refusal)
            {
                Console.WriteLine($"({refusal})");
            }
        }

        return 0;
    }

    private static PushRequest ToPush(string line, string openId)
    {
        var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
        var argument = parts.Length > 1 ? parts[1] : null;
        return parts[0] switch
        {
            "/subscribe" => new PushRequest("subscribe", openId, EventKey: argument),
            "/unsubscribe" => new PushRequest("unsubscribe", openId),
            "/click" => new PushRequest("click", openId, EventKey: argument ?? throw new ArgumentException("usage: /click KEY")),
            "/scan" => new PushRequest("scan", openId, EventKey: argument ?? throw new ArgumentException("usage: /scan SCENE")),
            "/image" => new PushRequest("image", openId),
            "/location" => new PushRequest("location", openId),
            _ when line.StartsWith('/') => throw new ArgumentException(Help),
            _ => new PushRequest("text", openId, Content: line),
        };
    }

    private static void Show(RecordedCall call, string openId)
    {
        if (!call.Delivered || call.Json() is not { } body || body["touser"]?.GetValue<string>() != openId)
        {
            return;
        }

        var msgType = body["msgtype"]?.GetValue<string>();
        var agent = body["customservice"]?["kf_account"]?.GetValue<string>();
        var who = agent is null ? "公众号" : $"客服 {agent}";
        var text = call.Path.Contains("template", StringComparison.Ordinal)
            ? $"[模板消息 {body["template_id"]}] {Describe(body["data"] as JsonObject)}"
            : msgType switch
            {
                "text" => body["text"]?["content"]?.GetValue<string>(),
                "news" => $"[图文] {body["news"]?["articles"]?[0]?["title"]}",
                "msgmenu" => $"{body["msgmenu"]?["head_content"]} {string.Join(" / ", (body["msgmenu"]?["list"] as JsonArray ?? []).Select(i => i?["content"]))} {body["msgmenu"]?["tail_content"]}",
                _ => $"[{msgType}] {body[msgType ?? string.Empty]?.ToJsonString()}",
            };
        Console.WriteLine($"{who}: {text}");
    }

    private static string Describe(JsonObject? data) =>
        data is null ? string.Empty : string.Join(", ", data.Select(pair => $"{pair.Key}={pair.Value?["value"]}"));

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
