using System.Text.Encodings.Web;
using System.Text.Json;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;

namespace WeChat.Application.Outbox;

/// <summary>The outbox rows written in this scope, handed to the sender after commit.</summary>
public sealed class OutboxRecorder
{
    private readonly List<OutboxMessage> _messages = [];

    public void Add(OutboxMessage message) => _messages.Add(message);

    public void Clear() => _messages.Clear();

    public IReadOnlyList<OutboxMessage> TakeAll()
    {
        var messages = _messages.ToList();
        _messages.Clear();
        return messages;
    }
}

/// <summary>Sends committed outbox rows now (claiming each first, so nothing is sent twice).</summary>
public interface IOutboxDispatcher
{
    Task DispatchAsync(IReadOnlyList<OutboxMessage> committed, CancellationToken cancellationToken);
}

/// <summary>JSON of outbox payloads and stored replies: polymorphic, CJK written literally.</summary>
public static class OutboxJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"Empty {typeof(T).Name} payload.");
}

/// <summary>
/// Writes work for WeChat into the current unit of work: it is sent only if the transaction commits,
/// and it is sent even if this process dies right after the commit.
/// </summary>
public sealed class OutboxWriter(IApplicationDbContext db, OutboxRecorder recorder, TimeProvider time)
{
    /// <summary>A customer-service message to the follower who sent <paramref name="envelope"/>.</summary>
    public Guid Reply(InboundEnvelope envelope, ReplyContent content) =>
        Add(envelope.AppId, OutboxKind.CustomerServiceMessage, envelope.FromUserName, OutboxJson.Serialize(content), source: envelope.DedupKey);

    public Guid Add(string appId, OutboxKind kind, string toUser, string payload, string? kfAccount = null, string? source = null, DateTimeOffset? notBefore = null)
    {
        var now = time.GetUtcNow();
        var message = new OutboxMessage
        {
            Id = Guid.CreateVersion7(now),
            AppId = appId,
            Kind = kind,
            ToUser = toUser,
            Payload = payload,
            KfAccount = kfAccount,
            Source = source,
            CreatedAt = now,
            NextAttemptAt = notBefore ?? now,
        };
        db.OutboxMessages.Add(message);
        // Profile fetches are batched by the sweeper (up to 100 followers per user-info call); the
        // rest is sent right after commit.
        if (kind != OutboxKind.RefreshFollowerProfile && (notBefore is null || notBefore <= now))
        {
            recorder.Add(message);
        }

        return message.Id;
    }
}
