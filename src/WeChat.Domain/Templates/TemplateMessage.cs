namespace WeChat.Domain.Templates;

public enum TemplateMessageStatus
{
    /// <summary>Accepted by the internal API, waiting for its turn.</summary>
    Queued = 0,

    /// <summary>WeChat accepted the send and returned a msgid.</summary>
    Sent = 1,

    /// <summary>TEMPLATESENDJOBFINISH reported success.</summary>
    Delivered = 2,

    /// <summary>The follower blocked template messages (failed:user block).</summary>
    UserBlocked = 3,

    /// <summary>WeChat refused the send, or the job finished with a system failure.</summary>
    Failed = 4,
}

/// <summary>One template message to one follower, from queueing to WeChat's delivery report.</summary>
public sealed class TemplateMessage
{
    public required Guid Id { get; init; }

    public required string AppId { get; init; }

    /// <summary>Set when the message was part of a bulk request.</summary>
    public Guid? BatchId { get; init; }

    public required string ToUser { get; init; }

    public required string TemplateId { get; init; }

    public string? Url { get; init; }

    public string? MiniProgramAppId { get; init; }

    public string? MiniProgramPagePath { get; init; }

    /// <summary>The keyword values as JSON (<c>{"keyword1":"…"}</c>).</summary>
    public required string Data { get; init; }

    /// <summary>WeChat sends one message per (openid, client_msg_id) within 10 minutes: retries are safe.</summary>
    public required string ClientMsgId { get; init; }

    public TemplateMessageStatus Status { get; private set; }

    public long? WeChatMsgId { get; private set; }

    public int? ErrorCode { get; private set; }

    public string? Error { get; private set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? SentAt { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    public void MarkSent(long weChatMsgId, DateTimeOffset at)
    {
        WeChatMsgId = weChatMsgId;
        SentAt = at;
        if (Status == TemplateMessageStatus.Queued)
        {
            Status = TemplateMessageStatus.Sent;
        }
    }

    public void MarkFailed(int errorCode, string? error, DateTimeOffset at)
    {
        Status = TemplateMessageStatus.Failed;
        ErrorCode = errorCode;
        Error = error;
        FinishedAt = at;
    }

    /// <summary>Applies TEMPLATESENDJOBFINISH: success, failed:user block, failed: system failed.</summary>
    public void Finish(bool succeeded, bool blockedByUser, string status, DateTimeOffset at)
    {
        Status = succeeded ? TemplateMessageStatus.Delivered : blockedByUser ? TemplateMessageStatus.UserBlocked : TemplateMessageStatus.Failed;
        Error = succeeded ? null : status;
        FinishedAt = at;
    }
}
