namespace WeChat.Application.Configuration;

public enum MessagingTransport
{
    RabbitMq,
    InMemory,
}

/// <summary>The <c>Messaging</c> configuration section.</summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary><c>RabbitMq</c> in production; <c>InMemory</c> runs the whole pipeline in one process (embedded mode).</summary>
    public MessagingTransport Transport { get; set; } = MessagingTransport.RabbitMq;

    /// <summary>Queue the API sends accepted callbacks to and workers consume.</summary>
    public string InboundQueueName { get; set; } = "wechat-inbound";

    /// <summary>Messages a worker fetches ahead from the broker.</summary>
    public int PrefetchCount { get; set; } = 64;

    /// <summary>Messages a worker processes at once.</summary>
    public int ConcurrentMessageLimit { get; set; } = 16;

    /// <summary>
    /// The callback endpoint's hard deadline for making a message durable: WeChat gives up after 5 s,
    /// so this stays well under that.
    /// </summary>
    public int AckDeadlineMilliseconds { get; set; } = 3000;

    /// <summary>Time one publish attempt may wait for the broker's confirm before it is retried.</summary>
    public int PublishAttemptTimeoutMilliseconds { get; set; } = 1000;
}
