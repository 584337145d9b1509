using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace WeChat.Infrastructure.WeChatApi;

/// <summary>
/// JSON as WeChat wants it: Chinese (and <c>&lt;a href&gt;</c> markup) written literally. The default
/// encoder writes <c>\uXXXX</c> escapes, which WeChat refuses with 40033 on some APIs.
/// </summary>
public static class WeChatJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Serialize(JsonNode body) => JsonSerializer.SerializeToUtf8Bytes(body, Options);
}
