using FluentValidation;
using Mediator;
using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Outbox;
using WeChat.Application.ReplyRules;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;

namespace WeChat.Application.Messages;

/// <summary>
/// A customer-service message from the operator's systems, optionally as a named agent
/// (<c>kf_account</c>): queued in the outbox and sent by the same path as the bot's replies.
/// </summary>
public sealed record SendAgentMessage(string AppId, string ToUser, ReplyContent Content, string? KfAccount) : ICommand<OutboxItemView>, ITransactionalCommand;

public sealed record GetOutboxItem(string AppId, Guid Id) : IQuery<OutboxItemView?>;

/// <summary>Where a queued message stands.</summary>
public sealed record OutboxItemView(Guid Id, string ToUser, OutboxStatus Status, int Attempts, int? LastErrorCode, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    public static OutboxItemView From(OutboxMessage message) =>
        new(message.Id, message.ToUser, message.Status, message.Attempts, message.LastErrorCode, message.LastError, message.CreatedAt, message.CompletedAt);
}

public sealed class SendAgentMessageHandler(OutboxWriter outbox, IApplicationDbContext db) :
    ICommandHandler<SendAgentMessage, OutboxItemView>,
    IQueryHandler<GetOutboxItem, OutboxItemView?>
{
    public ValueTask<OutboxItemView> Handle(SendAgentMessage command, CancellationToken cancellationToken)
    {
        var id = outbox.Add(command.AppId, OutboxKind.CustomerServiceMessage, command.ToUser, OutboxJson.Serialize(command.Content), command.KfAccount, source: "api");
        var message = db.OutboxMessages.Local.Single(m => m.Id == id);
        return ValueTask.FromResult(OutboxItemView.From(message));
    }

    public async ValueTask<OutboxItemView?> Handle(GetOutboxItem query, CancellationToken cancellationToken) =>
        await db.OutboxMessages.AsNoTracking().FirstOrDefaultAsync(m => m.AppId == query.AppId && m.Id == query.Id, cancellationToken) is { } message
            ? OutboxItemView.From(message)
            : null;
}

public sealed class SendAgentMessageValidator : AbstractValidator<SendAgentMessage>
{
    public SendAgentMessageValidator()
    {
        RuleFor(c => c.ToUser).NotEmpty().Matches(OpenIds.Pattern).WithMessage("must be an OpenID of this account");
        RuleFor(c => c.Content).NotNull().SetValidator(new ReplyContentValidator());
        RuleFor(c => c.KfAccount).MaximumLength(64).Matches("^[A-Za-z0-9_]{1,10}@[A-Za-z0-9_.-]+$").When(c => c.KfAccount is not null)
            .WithMessage("must look like prefix@account (the agent's kf_account)");
    }
}

/// <summary>What an OpenID looks like (28 characters on the wire; letters, digits, '-' and '_').</summary>
public static class OpenIds
{
    public const string Pattern = "^[A-Za-z0-9_-]{6,64}$";
}
