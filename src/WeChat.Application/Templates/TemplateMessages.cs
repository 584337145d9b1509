using FluentValidation;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Application.Configuration;
using WeChat.Application.Messages;
using WeChat.Application.Outbox;
using WeChat.Domain.Accounts;
using WeChat.Domain.Outbox;
using WeChat.Domain.Templates;

namespace WeChat.Application.Templates;

public sealed record MiniProgramLink(string AppId, string PagePath);

/// <summary>The template and its keyword values (sent to every recipient).</summary>
public sealed record TemplateMessageInput(string TemplateId, IReadOnlyDictionary<string, string> Data, string? Url, MiniProgramLink? MiniProgram);

/// <summary>
/// Queues one template message per recipient. Their send times are spread at the account's
/// <c>TemplateMessagesPerSecond</c> from the account's schedule cursor (moved in the same transaction),
/// so bulk sends from any number of API calls and workers keep to the configured rate.
/// </summary>
public sealed record QueueTemplateMessages(string AppId, TemplateMessageInput Template, IReadOnlyList<string> Recipients)
    : ICommand<QueuedTemplateMessages>, ITransactionalCommand;

public sealed record QueuedTemplateMessages(Guid? BatchId, IReadOnlyList<TemplateMessageView> Messages);

public sealed record GetTemplateMessage(string AppId, Guid Id) : IQuery<TemplateMessageView?>;

public sealed record GetTemplateBatch(string AppId, Guid BatchId) : IQuery<IReadOnlyList<TemplateMessageView>>;

public sealed record TemplateMessageView(
    Guid Id,
    Guid? BatchId,
    string ToUser,
    string TemplateId,
    TemplateMessageStatus Status,
    long? WeChatMsgId,
    int? ErrorCode,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt,
    DateTimeOffset? FinishedAt)
{
    public static TemplateMessageView From(TemplateMessage m) =>
        new(m.Id, m.BatchId, m.ToUser, m.TemplateId, m.Status, m.WeChatMsgId, m.ErrorCode, m.Error, m.CreatedAt, m.SentAt, m.FinishedAt);
}

/// <summary>The outbox payload of a template send: the TemplateMessages row holds the request.</summary>
public sealed record TemplateMessagePayload(Guid TemplateMessageId);

public sealed class TemplateMessageHandlers(IApplicationDbContext db, OutboxWriter outbox, IOptions<WeChatOptions> options, TimeProvider time) :
    ICommandHandler<QueueTemplateMessages, QueuedTemplateMessages>,
    IQueryHandler<GetTemplateMessage, TemplateMessageView?>,
    IQueryHandler<GetTemplateBatch, IReadOnlyList<TemplateMessageView>>
{
    public async ValueTask<QueuedTemplateMessages> Handle(QueueTemplateMessages command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rate = options.Value.Accounts.FirstOrDefault(a => a.AppId == command.AppId)?.TemplateMessagesPerSecond
            ?? new WeChatAccountOptions().TemplateMessagesPerSecond;
        var account = await db.AccountRecords.FirstOrDefaultAsync(a => a.AppId == command.AppId, cancellationToken);
        if (account is null)
        {
            account = new AccountRecord { AppId = command.AppId, CreatedAt = now };
            db.AccountRecords.Add(account);
        }

        var start = account.TemplateScheduleCursor is { } cursor && cursor > now ? cursor : now;
        var batchId = command.Recipients.Count > 1 ? Guid.CreateVersion7(now) : (Guid?)null;
        var template = command.Template;
        var data = OutboxJson.Serialize(template.Data);
        var views = new List<TemplateMessageView>(command.Recipients.Count);
        for (var i = 0; i < command.Recipients.Count; i++)
        {
            var id = Guid.CreateVersion7(now);
            var message = new TemplateMessage
            {
                Id = id,
                AppId = command.AppId,
                BatchId = batchId,
                ToUser = command.Recipients[i],
                TemplateId = template.TemplateId,
                Url = template.Url,
                MiniProgramAppId = template.MiniProgram?.AppId,
                MiniProgramPagePath = template.MiniProgram?.PagePath,
                Data = data,
                ClientMsgId = id.ToString("N"),
                CreatedAt = now,
            };
            db.TemplateMessages.Add(message);
            outbox.Add(command.AppId, OutboxKind.TemplateMessage, message.ToUser, OutboxJson.Serialize(new TemplateMessagePayload(id)),
                source: "api", notBefore: start + TimeSpan.FromSeconds((double)i / rate));
            views.Add(TemplateMessageView.From(message));
        }

        account.TemplateScheduleCursor = start + TimeSpan.FromSeconds((double)command.Recipients.Count / rate);
        return new QueuedTemplateMessages(batchId, views);
    }

    public async ValueTask<TemplateMessageView?> Handle(GetTemplateMessage query, CancellationToken cancellationToken) =>
        await db.TemplateMessages.AsNoTracking().FirstOrDefaultAsync(m => m.AppId == query.AppId && m.Id == query.Id, cancellationToken) is { } message
            ? TemplateMessageView.From(message)
            : null;

    public async ValueTask<IReadOnlyList<TemplateMessageView>> Handle(GetTemplateBatch query, CancellationToken cancellationToken) =>
        (await db.TemplateMessages.AsNoTracking()
            .Where(m => m.AppId == query.AppId && m.BatchId == query.BatchId)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
            .ToListAsync(cancellationToken))
        .Select(TemplateMessageView.From)
        .ToList();
}

public sealed class QueueTemplateMessagesValidator : AbstractValidator<QueueTemplateMessages>
{
    public const int MaxRecipients = 10_000;

    public QueueTemplateMessagesValidator()
    {
        RuleFor(c => c.Template).NotNull();
        RuleFor(c => c.Template.TemplateId).NotEmpty().MaximumLength(128).When(c => c.Template is not null);
        RuleFor(c => c.Template.Data).NotNull().Must(data => data is { Count: >= 1 and <= 20 })
            .WithMessage("needs 1 to 20 keyword values").When(c => c.Template is not null);
        RuleForEach(c => c.Template.Data).Must(pair => !string.IsNullOrWhiteSpace(pair.Key) && pair.Key.Length <= 32 && pair.Value is { Length: <= 200 })
            .WithMessage("keyword names are 1-32 characters, values at most 200").When(c => c.Template?.Data is not null);
        RuleFor(c => c.Template.Url).Must(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            .When(c => c.Template?.Url is not null).WithMessage("must be an absolute http(s) URL");
        RuleFor(c => c.Template.MiniProgram!.AppId).NotEmpty().When(c => c.Template?.MiniProgram is not null);
        RuleFor(c => c.Template.MiniProgram!.PagePath).NotEmpty().When(c => c.Template?.MiniProgram is not null);
        RuleFor(c => c.Recipients).NotEmpty().Must(r => r.Count <= MaxRecipients).WithMessage($"at most {MaxRecipients} recipients per request")
            .Must(r => r.Distinct(StringComparer.Ordinal).Count() == r.Count).WithMessage("must not repeat a recipient");
        RuleForEach(c => c.Recipients).NotEmpty().Matches(OpenIds.Pattern).WithMessage("must be an OpenID of this account");
    }
}
