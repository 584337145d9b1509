using System.Text.Json.Nodes;

namespace WeChat.Simulator.Platform;

/// <summary>What the fake API answers (WeChat always answers HTTP 200 with a JSON body).</summary>
/// <param name="Delivered">The call had an effect a follower sees (message delivered, template sent).</param>
public sealed record ApiAnswer(JsonObject Json, bool Delivered = false)
{
    public int ErrorCode => Json.TryGetPropertyValue("errcode", out var code) && code is not null ? code.GetValue<int>() : 0;

    public static ApiAnswer Ok(JsonObject? fields = null, bool delivered = false)
    {
        var json = new JsonObject { ["errcode"] = 0, ["errmsg"] = "ok" };
        if (fields is not null)
        {
            foreach (var (key, value) in fields.ToList())
            {
                fields.Remove(key);
                json[key] = value;
            }
        }

        return new ApiAnswer(json, delivered);
    }

    /// <summary>A bare object without errcode, as the token and OAuth endpoints answer on success.</summary>
    public static ApiAnswer Plain(JsonObject json) => new(json);

    /// <summary>An error with WeChat's errmsg style, including a <c>rid</c>.</summary>
    public static ApiAnswer Error(int errorCode, string message) =>
        new(new JsonObject { ["errcode"] = errorCode, ["errmsg"] = $"{message} rid: {Guid.NewGuid().ToString()[..8]}-{Guid.NewGuid().ToString()[..8]}" });
}
