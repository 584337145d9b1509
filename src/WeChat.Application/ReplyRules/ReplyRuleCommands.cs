using Mediator;
using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Messaging;
using WeChat.Domain.Accounts;
using WeChat.Domain.Replies;

namespace WeChat.Application.ReplyRules;

/// <summary>A rule as the internal API accepts it.</summary>
public sealed record ReplyRuleInput(string Name, ReplyTrigger Trigger, TextMatch? Match, string? Pattern, int Priority, bool Enabled, ReplyContent Reply);

/// <summary>A rule as the internal API shows it.</summary>
public sealed record ReplyRuleView(
    long Id,
    string Name,
    ReplyTrigger Trigger,
    TextMatch? Match,
    string? Pattern,
    int Priority,
    bool Enabled,
    ReplyContent Reply,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static ReplyRuleView From(ReplyRule rule) =>
        new(rule.Id, rule.Name, rule.Trigger, rule.Match, rule.Pattern, rule.Priority, rule.Enabled, rule.Reply, rule.CreatedAt, rule.UpdatedAt);
}

public sealed record ListReplyRules(string AppId) : IQuery<IReadOnlyList<ReplyRuleView>>;

public sealed record GetReplyRule(string AppId, long Id) : IQuery<ReplyRuleView?>;

public sealed record CreateReplyRule(string AppId, ReplyRuleInput Rule) : ICommand<ReplyRuleView>, ITransactionalCommand;

/// <summary>Null when the account has no such rule.</summary>
public sealed record UpdateReplyRule(string AppId, long Id, ReplyRuleInput Rule) : ICommand<ReplyRuleView?>, ITransactionalCommand;

/// <summary>False when the account has no such rule.</summary>
public sealed record DeleteReplyRule(string AppId, long Id) : ICommand<bool>, ITransactionalCommand;

public sealed class ReplyRuleQueries(IApplicationDbContext db) :
    IQueryHandler<ListReplyRules, IReadOnlyList<ReplyRuleView>>,
    IQueryHandler<GetReplyRule, ReplyRuleView?>
{
    public async ValueTask<IReadOnlyList<ReplyRuleView>> Handle(ListReplyRules query, CancellationToken cancellationToken) =>
        (await db.ReplyRules.AsNoTracking()
            .Where(r => r.AppId == query.AppId)
            .OrderBy(r => r.Trigger).ThenByDescending(r => r.Priority).ThenBy(r => r.Id)
            .ToListAsync(cancellationToken))
        .Select(ReplyRuleView.From)
        .ToList();

    public async ValueTask<ReplyRuleView?> Handle(GetReplyRule query, CancellationToken cancellationToken) =>
        await db.ReplyRules.AsNoTracking().FirstOrDefaultAsync(r => r.AppId == query.AppId && r.Id == query.Id, cancellationToken) is { } rule
            ? ReplyRuleView.From(rule)
            : null;
}

/// <summary>
/// Rule changes: each moves the account's rules version in the same transaction, which is how every
/// worker learns that its cached rules are stale before the next message.
/// </summary>
public sealed class ReplyRuleCommands(IApplicationDbContext db, TimeProvider time) :
    ICommandHandler<CreateReplyRule, ReplyRuleView>,
    ICommandHandler<UpdateReplyRule, ReplyRuleView?>,
    ICommandHandler<DeleteReplyRule, bool>
{
    public async ValueTask<ReplyRuleView> Handle(CreateReplyRule command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var input = command.Rule;
        var rule = new ReplyRule
        {
            AppId = command.AppId,
            Name = input.Name,
            Trigger = input.Trigger,
            Match = input.Match,
            Pattern = input.Pattern,
            Priority = input.Priority,
            Enabled = input.Enabled,
            Reply = input.Reply,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.ReplyRules.Add(rule);
        await BumpVersionAsync(command.AppId, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return ReplyRuleView.From(rule);
    }

    public async ValueTask<ReplyRuleView?> Handle(UpdateReplyRule command, CancellationToken cancellationToken)
    {
        var rule = await db.ReplyRules.FirstOrDefaultAsync(r => r.AppId == command.AppId && r.Id == command.Id, cancellationToken);
        if (rule is null)
        {
            return null;
        }

        var input = command.Rule;
        rule.Name = input.Name;
        rule.Trigger = input.Trigger;
        rule.Match = input.Match;
        rule.Pattern = input.Pattern;
        rule.Priority = input.Priority;
        rule.Enabled = input.Enabled;
        rule.Reply = input.Reply;
        rule.UpdatedAt = time.GetUtcNow();
        await BumpVersionAsync(command.AppId, rule.UpdatedAt, cancellationToken);
        return ReplyRuleView.From(rule);
    }

    public async ValueTask<bool> Handle(DeleteReplyRule command, CancellationToken cancellationToken)
    {
        var rule = await db.ReplyRules.FirstOrDefaultAsync(r => r.AppId == command.AppId && r.Id == command.Id, cancellationToken);
        if (rule is null)
        {
            return false;
        }

        db.ReplyRules.Remove(rule);
        await BumpVersionAsync(command.AppId, time.GetUtcNow(), cancellationToken);
        return true;
    }

    private async Task BumpVersionAsync(string appId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var account = await db.AccountRecords.FirstOrDefaultAsync(a => a.AppId == appId, cancellationToken);
        if (account is null)
        {
            account = new AccountRecord { AppId = appId, CreatedAt = now };
            db.AccountRecords.Add(account);
        }

        account.RulesVersion++;
    }
}
