using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WeChat.Application.Abstractions;
using WeChat.Domain.Replies;

namespace WeChat.Application.Replies;

/// <summary>
/// Finds the reply for a push among the account's enabled rules, read fresh from the database for
/// every message — so a change made through the internal API applies to the next message on every
/// worker. Regex rules run with a timeout; a pathological pattern cannot stall a worker.
/// </summary>
public sealed partial class ReplyRules(IApplicationDbContext db, ILogger<ReplyRules> logger)
{
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    public async Task<ReplyContent?> ForTextAsync(string appId, string text, CancellationToken cancellationToken)
    {
        var rules = await db.ReplyRules.AsNoTracking()
            .Where(r => r.AppId == appId && r.Enabled && (r.Trigger == ReplyTrigger.Text || r.Trigger == ReplyTrigger.Default))
            .OrderByDescending(r => r.Priority).ThenBy(r => r.Id)
            .ToListAsync(cancellationToken);
        var input = text.Trim();
        return rules.FirstOrDefault(rule => rule.Trigger == ReplyTrigger.Text && Matches(rule, input))?.Reply
            ?? rules.FirstOrDefault(rule => rule.Trigger == ReplyTrigger.Default)?.Reply;
    }

    /// <summary>The default reply, for messages that are not text (pictures, voice without recognition, …).</summary>
    public async Task<ReplyContent?> DefaultAsync(string appId, CancellationToken cancellationToken) =>
        (await db.ReplyRules.AsNoTracking()
            .Where(r => r.AppId == appId && r.Enabled && r.Trigger == ReplyTrigger.Default)
            .OrderByDescending(r => r.Priority).ThenBy(r => r.Id)
            .FirstOrDefaultAsync(cancellationToken))?.Reply;

    /// <summary>Event rules: an exact key (or scene) wins over a rule without one ("any").</summary>
    public async Task<ReplyContent?> ForEventAsync(string appId, ReplyTrigger trigger, string? key, CancellationToken cancellationToken)
    {
        var rules = await db.ReplyRules.AsNoTracking()
            .Where(r => r.AppId == appId && r.Enabled && r.Trigger == trigger && (r.Pattern == null || r.Pattern == key))
            .OrderByDescending(r => r.Priority).ThenBy(r => r.Id)
            .ToListAsync(cancellationToken);
        return (rules.FirstOrDefault(r => r.Pattern is not null) ?? rules.FirstOrDefault())?.Reply;
    }

    private bool Matches(ReplyRule rule, string input)
    {
        var pattern = rule.Pattern ?? string.Empty;
        switch (rule.Match)
        {
            case TextMatch.Exact:
                return string.Equals(input, pattern, StringComparison.OrdinalIgnoreCase);
            case TextMatch.Prefix:
                return input.StartsWith(pattern, StringComparison.OrdinalIgnoreCase);
            case TextMatch.Contains:
                return input.Contains(pattern, StringComparison.OrdinalIgnoreCase);
            case TextMatch.Regex:
                try
                {
                    return Regex.IsMatch(input, pattern, RegexOptions.CultureInvariant, RegexTimeout);
                }
                catch (RegexMatchTimeoutException)
                {
                    LogRegexTimeout(logger, rule.Id, rule.AppId);
                    return false;
                }

            default:
                return false;
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Reply rule {RuleId} of {AppId} timed out matching its regex; treated as no match")]
    private static partial void LogRegexTimeout(ILogger logger, long ruleId, string appId);
}

/// <summary>The rules every account starts with (the original product spec), seeded once per account.</summary>
public static class DefaultReplyRules
{
    public const string Help = "您好!输入“菜单”查看功能列表";
    public const string Menu = "功能列表:\n1. 帮助 — 使用说明\n2. 菜单 — 查看本列表\n3. 人工 — 转接人工客服";
    public const string Unsupported = "暂不支持该指令";
    public const string Welcome = "感谢关注!输入“帮助”查看使用说明。";

    public static IReadOnlyList<ReplyRule> For(string appId, DateTimeOffset now) =>
    [
        Rule(appId, now, "帮助", ReplyTrigger.Text, TextMatch.Exact, "帮助", Help),
        Rule(appId, now, "菜单", ReplyTrigger.Text, TextMatch.Exact, "菜单", Menu),
        Rule(appId, now, "默认回复", ReplyTrigger.Default, null, null, Unsupported),
        Rule(appId, now, "关注欢迎语", ReplyTrigger.Subscribe, null, null, Welcome),
    ];

    private static ReplyRule Rule(string appId, DateTimeOffset now, string name, ReplyTrigger trigger, TextMatch? match, string? pattern, string text) => new()
    {
        AppId = appId,
        Name = name,
        Trigger = trigger,
        Match = match,
        Pattern = pattern,
        Reply = new TextReply(text),
        CreatedAt = now,
        UpdatedAt = now,
    };
}
