using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Application.Contracts;
using WeChat.Domain.Inbox;
using WeChat.Infrastructure.Messaging;
using WeChat.Infrastructure.Operations;
using WeChat.Infrastructure.Outbox;
using WeChat.Infrastructure.Persistence;
using WeChat.Infrastructure.Protocol;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Persistence;

/// <summary>
/// The tables that grow with traffic (inbox, outbox, followers, sessions, stored callbacks) hold
/// millions of rows at a busy account, and a statement that reads one of them end to end costs more
/// the longer the platform runs — invisible in tests with a few rows. Every statement the pipeline
/// runs while it handles callbacks, sends replies, fetches profiles, relays stored callbacks and
/// does its periodic upkeep is captured here and must find its rows through an index — and a
/// statement for given rows, through their key.
/// </summary>
public sealed partial class QueryPlanTests : IAsyncLifetime
{
    private readonly CapturedStatements _captured = new();
    private EmbeddedPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await EmbeddedPlatform.StartAsync(
            TestAccounts.Create("qpl"),
            new Dictionary<string, string?>(),
            services => services.ConfigureDbContext<SqliteWeChatDbContext>(db => db.AddInterceptors(_captured)));

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private SimulatedAccountOptions Account => _platform.Account;

    private RunningSimulator Simulator => _platform.Simulator;

    [Fact]
    public async Task Every_statement_of_the_pipeline_and_its_upkeep_finds_its_rows_through_an_index()
    {
        var services = _platform.Api.Services;
        _captured.Recording = true; // start-up (migrations, seeding) is not traffic

        // New followers (a reply each and a profile to fetch), a returning one, a subscribe event.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var followers = new[] { "oPlanFollower001", "oPlanFollower002", "oPlanFollower003" };
        foreach (var follower in followers)
        {
            await Simulator.Sender.SendAsync(Account.AppId, Push.Text(Account.OriginalId, follower, now, "帮助"));
        }

        await Simulator.Sender.SendAsync(Account.AppId, Push.Text(Account.OriginalId, followers[0], now + 1, "菜单"));
        await Simulator.Sender.SendAsync(Account.AppId, Push.Subscribe(Account.OriginalId, "oPlanSubscriber01", now));

        // A callback stored while the broker was away, for the relay.
        var stored = Push.Text(Account.OriginalId, "oPlanStored00001", now, "帮助");
        Simulator.Platform.RecordInteraction(Account.AppId, stored); // opens the follower's service window, as sending it would
        var parsed = InboundMessageParser.Parse(stored.ToString());
        var contract = new InboundMessageReceived(Account.AppId, parsed.DeduplicationKey, parsed, stored.ToString(), DateTimeOffset.UtcNow);
        using (var scope = services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
            db.PendingInboundMessages.Add(new PendingInboundMessage
            {
                Id = Guid.CreateVersion7(),
                AppId = contract.AppId,
                DedupKey = contract.DedupKey,
                Payload = JsonSerializer.Serialize(contract, ContractJson.Options),
                CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        await ActivatorUtilities.CreateInstance<PendingInboundRelay>(services).RelayAsync(CancellationToken.None);

        var sender = services.GetRequiredService<OutboxSender>();
        await PipelineHarness.WaitUntilAsync(
            () => Replies() >= 6 && ProfilesFetched() == 5, // every follower here is new
            TimeSpan.FromSeconds(30),
            "the replies sent and the profiles fetched",
            () => $"{Replies()} replies, {ProfilesFetched()} profiles");

        // The last replies' outcomes are captured too (the fast path does not wait for them).
        await sender.OutcomesRecordedAsync();

        // The periodic upkeep, run now rather than waited for.
        await sender.RecoverAbandonedAsync(CancellationToken.None);
        await sender.DueAsync(100, CancellationToken.None);
        await sender.SendProfileBatchesAsync(CancellationToken.None);
        var operations = services.GetRequiredService<PlatformOperations>();
        await operations.PurgeOutboxAsync(TimeSpan.FromDays(7), CancellationToken.None);
        await operations.PurgeInboxAsync(TimeSpan.FromDays(7), CancellationToken.None);
        await operations.PurgeUnitOfWorkCommitsAsync(RetentionJanitor.UnitOfWorkCommitRetention, CancellationToken.None);
        _captured.Recording = false;

        var statements = _captured.Distinct();
        // The handlers' and the senders' statements are among them (the profile batch reads its claim back).
        Assert.Contains(statements, s => s.Sql.Contains("INSERT INTO \"InboxEntries\"", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Sql.Contains("FROM \"Followers\"", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Sql.Contains("\"ClaimToken\" =", StringComparison.Ordinal));
        var scans = new List<string>();
        var missedKeys = new List<string>();
        await using var connection = new SqliteConnection(_platform.DatabaseConnectionString);
        await connection.OpenAsync();
        foreach (var statement in statements)
        {
            var plan = await PlanAsync(connection, statement);
            foreach (var step in plan)
            {
                if (step.StartsWith("SCAN ", StringComparison.Ordinal) && step != "SCAN CONSTANT ROW" && !IsOldestFirstRelayBatch(statement, step))
                {
                    scans.Add($"{step}\n    in: {statement.Sql}");
                }
            }

            if (NamesRowsById().IsMatch(statement.Sql) && !plan.Any(step => KeyLookup().IsMatch(step)))
            {
                missedKeys.Add($"{string.Join("; ", plan)}\n    in: {statement.Sql}");
            }
        }

        Assert.True(scans.Count == 0, "Statements that read a whole table or index:\n" + string.Join('\n', scans));
        Assert.True(missedKeys.Count == 0, "Statements that name their rows by id but find them another way:\n" + string.Join('\n', missedKeys));
    }

    private int Replies() =>
        Simulator.Platform.Calls.Snapshot(call => call.Delivered && call.Path.EndsWith("custom/send", StringComparison.Ordinal)).Count;

    /// <summary>Read past EF, so the test's own query is not among the captured ones.</summary>
    private int ProfilesFetched()
    {
        using var connection = new SqliteConnection(_platform.DatabaseConnectionString);
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM \"Followers\" WHERE \"ProfileFetchedAt\" IS NOT NULL";
        return Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The relay walks stored callbacks oldest first and stops after one batch: an index walk by design,
    /// over a table that only holds callbacks waiting for the broker.
    /// </summary>
    private static bool IsOldestFirstRelayBatch(CapturedStatement statement, string step) =>
        step == "SCAN p USING INDEX IX_PendingInboundMessages_CreatedAt"
        && statement.Sql.Contains("ORDER BY \"p\".\"CreatedAt\"\nLIMIT @", StringComparison.Ordinal);

    /// <summary>SQLite's plan for each statement of a command (EF batches several into one command, each ending in a semicolon).</summary>
    private static async Task<List<string>> PlanAsync(SqliteConnection connection, CapturedStatement statement)
    {
        var steps = new List<string>();
        // EF passes every value as a parameter, so a semicolon in the text always ends a statement.
        foreach (var sql in statement.Sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TransactionControl().IsMatch(sql))
            {
                continue;
            }

            await using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
            var used = ParameterName().Matches(sql).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, value) in statement.Parameters.Where(p => used.Contains(p.Name)))
            {
                explain.Parameters.AddWithValue(name, value);
            }

            await using var plan = await explain.ExecuteReaderAsync();
            while (await plan.ReadAsync())
            {
                steps.Add(plan.GetString(3));
            }
        }

        return steps;
    }

    /// <summary>
    /// A statement for given rows (<c>"Id" = @…</c>, <c>"Id" IN (@…)</c>). Its other conditions may match
    /// an index too — "Pending and due" does — and without statistics SQLite may prefer that one and read
    /// every row it matches (all due rows, thousands after a WeChat outage) to find a handful.
    /// </summary>
    [GeneratedRegex(@"""Id"" (= @|IN \(@)")]
    private static partial Regex NamesRowsById();

    [GeneratedRegex(@"\((Id|rowid)=\?\)")]
    private static partial Regex KeyLookup();

    [GeneratedRegex(@"^(PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", RegexOptions.IgnoreCase)]
    private static partial Regex TransactionControl();

    [GeneratedRegex(@"@\w+")]
    private static partial Regex ParameterName();

    private sealed record CapturedStatement(string Sql, IReadOnlyList<(string Name, object Value)> Parameters);

    /// <summary>Every command EF sends while <see cref="Recording"/> is on, with its parameter values.</summary>
    private sealed class CapturedStatements : DbCommandInterceptor
    {
        private readonly ConcurrentQueue<CapturedStatement> _statements = new();

        public volatile bool Recording;

        /// <summary>One of each distinct text.</summary>
        public List<CapturedStatement> Distinct() => _statements.DistinctBy(s => s.Sql).ToList();

        /// <summary>Called for every command once its text and parameters are set, whichever way it then runs.</summary>
        public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
        {
            Record(result);
            return base.CommandInitialized(eventData, result);
        }

        private void Record(DbCommand command)
        {
            if (Recording)
            {
                _statements.Enqueue(new CapturedStatement(
                    command.CommandText,
                    command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, p.Value ?? DBNull.Value)).ToList()));
            }
        }
    }
}
