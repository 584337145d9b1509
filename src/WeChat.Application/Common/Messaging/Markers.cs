using Mediator;

namespace WeChat.Application.Common.Messaging;

/// <summary>A command whose handler runs inside one database transaction (see TransactionBehaviour).</summary>
public interface ITransactionalCommand;

/// <summary>The inbound push a command was made from.</summary>
/// <param name="OriginalId">The account's <c>gh_</c> id (the push's ToUserName).</param>
/// <param name="FromUserName">The follower's OpenID.</param>
public sealed record InboundEnvelope(
    string AppId,
    string DedupKey,
    string OriginalId,
    string FromUserName,
    string MsgType,
    string? Event,
    DateTimeOffset ReceivedAt);

public enum InboundResult
{
    Handled,

    /// <summary>Already handled (a WeChat retry or a broker redelivery): nothing was done.</summary>
    Duplicate,
}

/// <summary>A command made from one inbound push: deduplicated by its envelope in the inbox.</summary>
public interface IInboundCommand : ICommand<InboundResult>, ITransactionalCommand
{
    InboundEnvelope Envelope { get; }
}
