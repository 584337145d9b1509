using System.Text.Json.Nodes;
using WeChat.Domain.Replies;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>The <c>message/custom/send</c> body for each kind of content (protocol §7).</summary>
public static class CustomerServiceMessageJson
{
    public static JsonObject Build(string toUser, ReplyContent content, string? kfAccount)
    {
        var body = new JsonObject
        {
            ["touser"] = toUser,
            ["msgtype"] = content.MsgType,
            [content.MsgType] = Payload(content),
        };
        if (!string.IsNullOrEmpty(kfAccount))
        {
            body["customservice"] = new JsonObject { ["kf_account"] = kfAccount };
        }

        return body;
    }

    private static JsonObject Payload(ReplyContent content) => content switch
    {
        TextReply text => new JsonObject { ["content"] = text.Content },
        ImageReply image => new JsonObject { ["media_id"] = image.MediaId },
        VoiceReply voice => new JsonObject { ["media_id"] = voice.MediaId },
        VideoReply video => Compact(new JsonObject
        {
            ["media_id"] = video.MediaId,
            ["thumb_media_id"] = video.ThumbMediaId,
            ["title"] = video.Title,
            ["description"] = video.Description,
        }),
        MusicReply music => Compact(new JsonObject
        {
            ["title"] = music.Title,
            ["description"] = music.Description,
            ["musicurl"] = music.MusicUrl,
            ["hqmusicurl"] = music.HqMusicUrl,
            ["thumb_media_id"] = music.ThumbMediaId,
        }),
        NewsReply news => new JsonObject
        {
            ["articles"] = new JsonArray(news.Articles.Select(article => (JsonNode)Compact(new JsonObject
            {
                ["title"] = article.Title,
                ["description"] = article.Description,
                ["url"] = article.Url,
                ["picurl"] = article.PicUrl,
            })).ToArray()),
        },
        MpNewsReply mpNews => new JsonObject { ["media_id"] = mpNews.MediaId },
        MessageMenuReply menu => new JsonObject
        {
            ["head_content"] = menu.HeadContent,
            ["list"] = new JsonArray(menu.Items.Select(item => (JsonNode)new JsonObject { ["id"] = item.Id, ["content"] = item.Content }).ToArray()),
            ["tail_content"] = menu.TailContent,
        },
        MiniProgramPageReply page => new JsonObject
        {
            ["title"] = page.Title,
            ["appid"] = page.AppId,
            ["pagepath"] = page.PagePath,
            ["thumb_media_id"] = page.ThumbMediaId,
        },
        _ => throw new NotSupportedException($"No customer-service payload for '{content.MsgType}'."),
    };

    private static JsonObject Compact(JsonObject json)
    {
        foreach (var key in json.Where(pair => pair.Value is null).Select(pair => pair.Key).ToList())
        {
            json.Remove(key);
        }

        return json;
    }
}
