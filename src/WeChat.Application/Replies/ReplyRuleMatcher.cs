using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WeChat.Application.Abstractions;
using WeChat.Domain.Accounts;
using WeChat.Domain.Replies;

namespace WeChat.Application.Replies;

/// <summary>An account's enabled rules, best first, with their regexes compiled once.</summary>
public sealed record CompiledRuleSet(long Version, IReadOnlyList<ReplyRule> Rules, IReadOnlyDictionary<long, Regex> Regexes);

/// <summary>Rule sets per account, kept until the account's rules version moves (process-wide).</summary>
public sealed class ReplyRuleCache
{
    private readonly ConcurrentDictionary<string, CompiledRuleSet> _sets = new(StringComparer.Ordinal);

    public bool TryGet(string appId, long version, out CompiledRuleSet? set) =>
        _sets.TryGetValue(appId, out set) && set.Version == version;

    public void Put(string appId, CompiledRuleSet set) => _sets[appId] = set;
}

/// <summary>
/// Finds the reply for a push among the account's enabled rules. Every message reads the account's
/// rules version (one small query); the rules themselves are reloaded only when it changed — and
/// every rule change moves it in its own transaction — so a change made through the internal API
/// applies to the next message on every worker. Regex rules run with a timeout; a pathological
/// pattern cannot stall a worker.
/// </summary>
public sealed partial class ReplyRuleMatcher(IApplicationDbContext db, ReplyRuleCache cache, ILogger<ReplyRuleMatcher> logger)
{
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    private static readonly Func<DbContext, string, Task<long?>> RulesVersion = EF.CompileAsyncQuery(
        (DbContext context, string appId) => context.Set<AccountRecord>().AsNoTracking()
            .Where(account => account.AppId == appId)
            .Select(account => (long?)account.RulesVersion)
            .FirstOrDefault());

    public async Task<ReplyContent?> ForTextAsync(string appId, string text, CancellationToken cancellationToken)
    {
        var set = await LoadAsync(appId, cancellationToken);
        var input = text.Trim();
        return set.Rules.FirstOrDefault(rule => rule.Trigger == ReplyTrigger.Text && Matches(set, rule, input))?.Reply
            ?? set.Rules.FirstOrDefault(rule => rule.Trigger == ReplyTrigger.Default)?.Reply;
    }

    /// <summary>The default reply, for messages that are not text (pictures, voice without recognition, …).</summary>
    public async Task<ReplyContent?> DefaultAsync(string appId, CancellationToken cancellationToken) =>
        (await LoadAsync(appId, cancellationToken)).Rules.FirstOrDefault(rule => rule.Trigger == ReplyTrigger.Default)?.Reply;

    /// <summary>Event rules: an exact key (or scene) wins over a rule without one ("any").</summary>
    public async Task<ReplyContent?> ForEventAsync(string appId, ReplyTrigger trigger, string? key, CancellationToken cancellationToken)
    {
        var candidates = (await LoadAsync(appId, cancellationToken)).Rules
            .Where(rule => rule.Trigger == trigger && (rule.Pattern is null || rule.Pattern == key))
            .ToList();
        return (candidates.FirstOrDefault(rule => rule.Pattern is not null) ?? candidates.FirstOrDefault())?.Reply;
    }

    private async Task<CompiledRuleSet> LoadAsync(string appId, CancellationToken cancellationToken)
    {
        var version = await RulesVersion((DbContext)db, appId) ?? -1;
        if (cache.TryGet(appId, version, out var cached))
        {
            return cached!;
        }

        var rules = await db.ReplyRules.AsNoTracking()
            .Where(rule => rule.AppId == appId && rule.Enabled)
            .OrderByDescending(rule => rule.Priority).ThenBy(rule => rule.Id)
            .ToListAsync(cancellationToken);
        var regexes = new Dictionary<long, Regex>();
        foreach (var rule in rules.Where(rule => rule is { Trigger: ReplyTrigger.Text, Match: TextMatch.Regex }))
        {
            try
            {
                regexes[rule.Id] = new Regex(rule.Pattern ?? string.Empty, RegexOptions.CultureInvariant, RegexTimeout);
            }
            catch (ArgumentException)
            {
                LogInvalidRegex(logger, rule.Id, appId);
            }
        }

        var set = new CompiledRuleSet(version, rules, regexes);
        if (version >= 0)
        {
            cache.Put(appId, set);
        }

        return set;
    }

    private bool Matches(CompiledRuleSet set, ReplyRule rule, string input)
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
            case TextMatch.Regex when set.Regexes.TryGetValue(rule.Id, out var regex):
                try
                {
                    return regex.IsMatch(input);
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

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Reply rule {RuleId} of {AppId} has an invalid regex; it never matches")]
    private static partial void LogInvalidRegex(ILogger logger, long ruleId, string appId);
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
