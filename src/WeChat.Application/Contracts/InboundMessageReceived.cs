using WeChat.Domain.Messages;

namespace WeChat.Application.Contracts;

/// <summary>
/// A callback WeChat delivered and the API accepted. The namespace and name are the message's
/// identity on the bus: never rename or move this type.
/// </summary>
/// <param name="AppId">The account the callback was addressed to.</param>
/// <param name="DedupKey">Unique per distinct push within the account (see <see cref="InboundMessage.DeduplicationKey"/>).</param>
/// <param name="Message">The parsed push.</param>
/// <param name="RawXml">The (decrypted) XML exactly as received, for audit and re-parsing.</param>
/// <param name="ReceivedAt">When the API accepted it.</param>
public sealed record InboundMessageReceived(
    string AppId,
    string DedupKey,
    InboundMessage Message,
    string RawXml,
    DateTimeOffset ReceivedAt);
