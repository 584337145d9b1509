using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using WeChat.Domain.Replies;
using WeChat.Infrastructure.Persistence;
using WeChat.IntegrationTests.Infrastructure;

namespace WeChat.IntegrationTests.Persistence;

/// <summary>
/// SQL Server runs each unit in a transaction of its own inside its retrying execution strategy. A
/// connection that drops while COMMIT is on its way leaves the outcome unknown; the strategy retries,
/// and a unit without an inbox row (an agent's message, a new reply rule) must not commit twice. SQL
/// Server cannot run here: a SQLite file stands in, with a strategy that retries what the
/// interceptor throws at the commit, before or after it happened.
/// </summary>
public sealed class TransactionPerUnitTests : IAsyncLifetime
{
    private const string AppId = "wxunitcommit";

    private readonly TempDatabase _database = new();
    private readonly CommitFaults _faults = new();
    private readonly TransactionPerUnit _units = new();

    public async Task InitializeAsync()
    {
        await using var db = Open(withFaults: false);
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync()
    {
        _database.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_unit_whose_commit_happened_but_was_not_acknowledged_is_not_run_again()
    {
        await using var db = Open(withFaults: true);
        _faults.LoseAcknowledgementOfNextCommit = true;
        var runs = 0;

        var added = await _units.RunAsync(db, _ =>
        {
            runs++;
            var rule = NewRule("after lost ack");
            db.ReplyRules.Add(rule);
            return ValueTask.FromResult(rule);
        }, CancellationToken.None);

        Assert.Equal(1, runs);
        Assert.Equal(["after lost ack"], await StoredRuleNamesAsync());
        Assert.True(_faults.Thrown);
        Assert.NotEqual(0, added.Id);
    }

    [Fact]
    public async Task A_unit_that_deleted_a_row_and_lost_its_commits_acknowledgement_still_reports_what_it_did()
    {
        long seeded;
        await using (var seed = Open(withFaults: false))
        {
            var rule = NewRule("to delete");
            seed.ReplyRules.Add(rule);
            await seed.SaveChangesAsync();
            seeded = rule.Id;
        }

        await using var db = Open(withFaults: true);
        _faults.LoseAcknowledgementOfNextCommit = true;
        var runs = 0;

        var deleted = await _units.RunAsync(db, async ct =>
        {
            runs++;
            db.ChangeTracker.Clear();
            var rule = await db.ReplyRules.FindAsync([seeded], ct);
            if (rule is null)
            {
                return false;
            }

            db.ReplyRules.Remove(rule);
            return true;
        }, CancellationToken.None);

        Assert.True(deleted);
        Assert.Equal(1, runs);
        Assert.Empty(await StoredRuleNamesAsync());
    }

    [Fact]
    public async Task A_unit_whose_commit_failed_runs_again_and_commits_once()
    {
        await using var db = Open(withFaults: true);
        _faults.FailNextCommit = true;
        var runs = 0;

        await _units.RunAsync(db, _ =>
        {
            runs++;
            db.ChangeTracker.Clear();
            db.ReplyRules.Add(NewRule("after failed commit"));
            return ValueTask.FromResult(true);
        }, CancellationToken.None);

        Assert.Equal(2, runs);
        Assert.Equal(["after failed commit"], await StoredRuleNamesAsync());
    }

    private SqliteWeChatDbContext Open(bool withFaults)
    {
        var options = new DbContextOptionsBuilder<SqliteWeChatDbContext>()
            .UseSqlite(_database.ConnectionString, sqlite => sqlite.ExecutionStrategy(dependencies => new RetryingOnCommitFaults(dependencies)));
        if (withFaults)
        {
            options.AddInterceptors(_faults);
        }

        return new SqliteWeChatDbContext(options.Options);
    }

    private async Task<List<string>> StoredRuleNamesAsync()
    {
        await using var db = Open(withFaults: false);
        return await db.ReplyRules.AsNoTracking().Where(r => r.AppId == AppId).Select(r => r.Name).ToListAsync();
    }

    private static ReplyRule NewRule(string name) => new()
    {
        AppId = AppId,
        Name = name,
        Trigger = ReplyTrigger.Text,
        Match = TextMatch.Exact,
        Pattern = name,
        Reply = new TextReply(name),
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>The connection dropping around COMMIT: before it reached the database, or after, with its answer lost.</summary>
    private sealed class CommitFaults : DbTransactionInterceptor
    {
        public bool FailNextCommit { get; set; }

        public bool LoseAcknowledgementOfNextCommit { get; set; }

        public bool Thrown { get; private set; }

        public override ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            if (FailNextCommit)
            {
                FailNextCommit = false;
                Thrown = true;
                throw new CommitFaultException("connection lost before COMMIT reached the database");
            }

            return ValueTask.FromResult(result);
        }

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (LoseAcknowledgementOfNextCommit)
            {
                LoseAcknowledgementOfNextCommit = false;
                Thrown = true;
                throw new CommitFaultException("connection lost before COMMIT's answer came back");
            }

            return Task.CompletedTask;
        }
    }

    private sealed class CommitFaultException(string message) : Exception(message);

    private sealed class RetryingOnCommitFaults(ExecutionStrategyDependencies dependencies)
        : ExecutionStrategy(dependencies, maxRetryCount: 3, maxRetryDelay: TimeSpan.FromMilliseconds(50))
    {
        protected override bool ShouldRetryOn(Exception exception) => exception is CommitFaultException;
    }
}
