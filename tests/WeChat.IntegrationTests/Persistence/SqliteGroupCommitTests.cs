using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WeChat.Application.Abstractions;
using WeChat.Domain.Followers;
using WeChat.Infrastructure.Persistence;
using WeChat.IntegrationTests.Infrastructure;

namespace WeChat.IntegrationTests.Persistence;

/// <summary>
/// SQLite runs handler units of work by group commit: units that queue up behind each other share one
/// transaction, each in its own savepoint. Checked on a real database file, with the retrying execution
/// strategy the pipeline tests use (it refuses transactions it did not see begin).
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly FailingCommits _commits = new();
    private readonly FakeLogCollector _log = FakeLogCollector.Create(new FakeLogCollectorOptions { FilteredLevels = { LogLevel.Warning } });
    private EmbeddedPlatform _platform = null!;

    public async Task InitializeAsync()
    {
        _platform = await EmbeddedPlatform.StartAsync(
            TestAccounts.Create("grp"),
            new Dictionary<string, string?>(),
            services =>
            {
                services.UseSqlServerLikeRetries().ConfigureDbContext<SqliteWeChatDbContext>(db => db.AddInterceptors(_commits))
                    .AddSingleton<ILoggerProvider>(new FakeLoggerProvider(_log))
                    .WithoutScheduledWriters();
            });
        _ = _platform.Api.Services; // starts the host: migrations applied
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private IServiceProvider Services => _platform.Api.Services;

    private IUnitOfWorkRunner Units => Services.GetRequiredService<IUnitOfWorkRunner>();

    [Fact]
    public async Task Units_that_queue_up_commit_together_and_none_completes_before_that_commit()
    {
        await using var first = new BlockedUnit(_platform, "oGroupFirst");
        await using var second = new BlockedUnit(_platform, "oGroupSecond");
        var (firstRun, secondRun) = await RunInOneGroupAsync(first, second);

        Assert.False(firstRun.IsCompleted);
        Assert.Empty(await CommittedAsync("oGroupFirst", "oGroupSecond"));

        second.Finish();
        Assert.Equal("oGroupFirst", await firstRun.WaitAsync(Patience));
        Assert.Equal("oGroupSecond", await secondRun.WaitAsync(Patience));
        Assert.Equal(["oGroupFirst", "oGroupSecond"], await CommittedAsync("oGroupFirst", "oGroupSecond"));
    }

    [Fact]
    public async Task A_group_that_waits_for_another_writer_of_the_file_or_holds_the_lock_long_says_so()
    {
        // A writer that does not take turns (another program on the file): a connection of its own holding SQLite's write lock.
        await using var otherWriter = new SqliteConnection(_platform.DatabaseConnectionString);
        await otherWriter.OpenAsync();
        var otherTransaction = otherWriter.BeginTransaction(deferred: false);
        await using var unit = new BlockedUnit(_platform, "oGroupBehindOtherWriter");
        // SQLite waits for the lock synchronously: not on this test's thread, which has to release it.
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(() =>
        {
            running.SetResult();
            return unit.RunIn(Units);
        });
        await running.Task.WaitAsync(Patience);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(unit.Started.IsCompleted);
        otherTransaction.Rollback();

        await unit.Started.WaitAsync(Patience);
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // the unit holds its group's lock meanwhile
        unit.Finish();
        Assert.Equal("oGroupBehindOtherWriter", await run.WaitAsync(Patience));

        var warnings = _log.GetSnapshot().Where(record => record.Category == typeof(SqliteGroupCommit).FullName).ToList();
        Assert.Contains(warnings, record => record.Id.Id == 8011 && record.Message.Contains("does not take turns", StringComparison.Ordinal));
        Assert.Contains(warnings, record => record.Id.Id == 8012 && record.Message.StartsWith("A group of 1 unit(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_unit_is_rolled_back_alone_and_the_rest_of_its_group_commits()
    {
        await using var before = new BlockedUnit(_platform, "oGroupBeforeFailure");
        await using var failing = new BlockedUnit(_platform, "oGroupFailing", fails: true);
        var (beforeRun, failingRun) = await RunInOneGroupAsync(before, failing);
        await using var after = new BlockedUnit(_platform, "oGroupAfterFailure");
        var afterRun = after.RunIn(Units);

        failing.Finish();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failingRun.WaitAsync(Patience));
        await after.Started.WaitAsync(Patience);
        Assert.False(beforeRun.IsCompleted); // the group goes on
        after.Finish();

        Assert.Equal("oGroupBeforeFailure", await beforeRun.WaitAsync(Patience));
        Assert.Equal("oGroupAfterFailure", await afterRun.WaitAsync(Patience));
        Assert.Equal(["oGroupAfterFailure", "oGroupBeforeFailure"], await CommittedAsync("oGroupBeforeFailure", "oGroupFailing", "oGroupAfterFailure"));
    }

    [Fact]
    public async Task A_group_commits_after_its_32nd_unit_even_with_more_waiting_and_failed_units_count()
    {
        await using var first = new BlockedUnit(_platform, "oGroupCapFirst");
        var firstRun = first.RunIn(Units);
        await first.Started.WaitAsync(Patience);
        var failing = Enumerable.Range(1, SqliteGroupCommit.MaxUnitsPerCommit - 1).Select(i => new BlockedUnit(_platform, $"oGroupCapFailing{i:00}", fails: true)).ToList();
        var failingRuns = failing.Select(unit =>
        {
            unit.Finish();
            return unit.RunIn(Units);
        }).ToList();
        await using var last = new BlockedUnit(_platform, "oGroupCapLast");
        var lastRun = last.RunIn(Units);

        first.Finish();
        Assert.Equal("oGroupCapFirst", await firstRun.WaitAsync(Patience)); // committed while the 33rd waits in a new group
        await last.Started.WaitAsync(Patience);
        Assert.Equal(["oGroupCapFirst"], await CommittedAsync("oGroupCapFirst", "oGroupCapLast"));

        last.Finish();
        Assert.Equal("oGroupCapLast", await lastRun.WaitAsync(Patience));
        foreach (var run in failingRuns)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(Patience));
        }

        foreach (var unit in failing)
        {
            await unit.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_unit_retried_by_the_execution_strategy_starts_again_from_its_savepoint()
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
        var attempts = 0;

        var result = await Units.RunAsync(db, async ct =>
        {
            db.ChangeTracker.Clear();
            db.Followers.Add(new Follower { AppId = _platform.Account.AppId, OpenId = "oGroupRetried", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync(ct); // the second attempt would break the unique key if the first one's row were still there
            return ++attempts == 1 ? throw new Microsoft.Data.Sqlite.SqliteException("database is locked (injected)", 5) : attempts;
        }, CancellationToken.None);

        Assert.Equal(2, result);
        Assert.Equal(["oGroupRetried"], await CommittedAsync("oGroupRetried"));
    }

    [Fact]
    public async Task A_failed_commit_fails_every_unit_of_its_group_and_leaves_nothing()
    {
        await using var first = new BlockedUnit(_platform, "oGroupLostFirst");
        await using var second = new BlockedUnit(_platform, "oGroupLostSecond");
        var (firstRun, secondRun) = await RunInOneGroupAsync(first, second);

        _commits.FailWith = "oGroupLostSecond";
        second.Finish();

        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => firstRun.WaitAsync(Patience));
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => secondRun.WaitAsync(Patience));
        Assert.Empty(await CommittedAsync("oGroupLostFirst", "oGroupLostSecond"));

        // The runner goes on: the next unit commits alone.
        await using var after = new BlockedUnit(_platform, "oGroupAfterLost");
        var afterRun = after.RunIn(Units);
        after.Finish();
        Assert.Equal("oGroupAfterLost", await afterRun.WaitAsync(Patience));
        Assert.Equal(["oGroupAfterLost"], await CommittedAsync("oGroupLostFirst", "oGroupLostSecond", "oGroupAfterLost"));
    }

    [Fact]
    public async Task A_unit_that_cannot_be_undone_rolls_back_its_whole_group_and_the_next_unit_starts_a_new_one()
    {
        await using var first = new BlockedUnit(_platform, "oGroupBrokenFirst");
        await using var failing = new BlockedUnit(_platform, "oGroupBrokenFailing", fails: true);
        var (firstRun, failingRun) = await RunInOneGroupAsync(first, failing);
        await using var next = new BlockedUnit(_platform, "oGroupBrokenNext");
        var nextRun = next.RunIn(Units);

        _commits.FailUndo = true;
        failing.Finish();

        await Assert.ThrowsAsync<InvalidOperationException>(() => failingRun.WaitAsync(Patience)); // its own failure
        var groupLost = await Assert.ThrowsAsync<InvalidOperationException>(() => firstRun.WaitAsync(Patience));
        Assert.Contains("rolled back", groupLost.Message, StringComparison.Ordinal);
        next.Finish();
        Assert.Equal("oGroupBrokenNext", await nextRun.WaitAsync(Patience));
        Assert.Equal(["oGroupBrokenNext"], await CommittedAsync("oGroupBrokenFirst", "oGroupBrokenFailing", "oGroupBrokenNext"));
    }

    [Fact]
    public async Task The_scopes_context_has_its_own_connection_again_after_its_unit()
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
        DbConnection? lent = null;

        await Units.RunAsync(db, _ =>
        {
            lent = db.Database.GetDbConnection();
            db.Followers.Add(new Follower { AppId = _platform.Account.AppId, OpenId = "oGroupOwnConnection", CreatedAt = DateTimeOffset.UtcNow });
            return ValueTask.FromResult(0);
        }, CancellationToken.None);

        Assert.Null(db.Database.CurrentTransaction);
        Assert.NotSame(lent, db.Database.GetDbConnection());
        Assert.Equal(1, await db.Followers.CountAsync(f => f.OpenId == "oGroupOwnConnection"));
        Assert.Equal(System.Data.ConnectionState.Closed, db.Database.GetDbConnection().State);

        // Lent again (a scope may run more than one command), and still its own afterwards.
        db.ChangeTracker.Clear();
        await Units.RunAsync(db, async ct =>
        {
            (await db.Followers.SingleAsync(f => f.OpenId == "oGroupOwnConnection", ct)).ApplyWebProfile(DateTimeOffset.UtcNow, "again", headImageUrl: null, unionId: null);
            return 0;
        }, CancellationToken.None);
        Assert.Equal("again", await db.Followers.AsNoTracking().Where(f => f.OpenId == "oGroupOwnConnection").Select(f => f.Nickname).SingleAsync());
        Assert.Equal(System.Data.ConnectionState.Closed, db.Database.GetDbConnection().State);
        Assert.Equal(System.Data.ConnectionState.Closed, lent!.State); // the group's, closed after its commit
    }

    /// <summary>
    /// Starts the first unit, queues the second behind it, lets the first finish its work and returns
    /// once the second is inside the same, still open, group.
    /// </summary>
    [Fact]
    public async Task A_unit_whose_caller_gives_up_once_it_has_its_turn_still_runs_to_its_commit()
    {
        // A cancelled command interrupts the group's connection (sqlite3_interrupt): the group's transaction
        // is rolled back, or left open on a pooled connection that later writes then use uncommitted.
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
        using var caller = new CancellationTokenSource();

        var result = await Units.RunAsync(db, async ct =>
        {
            caller.Cancel(); // the worker stops while the unit runs
            db.Followers.Add(new Follower { AppId = _platform.Account.AppId, OpenId = "oGroupCallerGone", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync(ct);
            return "ran";
        }, caller.Token).WaitAsync(Patience);

        Assert.Equal("ran", result);
        Assert.Equal(["oGroupCallerGone"], await CommittedAsync("oGroupCallerGone"));
    }

    private async Task<(Task<string> First, Task<string> Second)> RunInOneGroupAsync(BlockedUnit first, BlockedUnit second)
    {
        var firstRun = first.RunIn(Units);
        await first.Started.WaitAsync(Patience);
        var secondRun = second.RunIn(Units);
        first.Finish();
        await second.Started.WaitAsync(Patience);
        return (firstRun, secondRun);
    }

    private async Task<List<string>> CommittedAsync(params string[] openIds)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();
        return await db.Followers.AsNoTracking().Where(f => openIds.Contains(f.OpenId)).OrderBy(f => f.OpenId).Select(f => f.OpenId).ToListAsync();
    }

    /// <summary>A unit that adds a follower, then waits inside its transaction until told to finish (or fail).</summary>
    private sealed class BlockedUnit(EmbeddedPlatform platform, string openId, bool fails = false) : IAsyncDisposable
    {
        private readonly AsyncServiceScope _scope = platform.Api.Services.CreateAsyncScope();
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IApplicationDbContext Db => _scope.ServiceProvider.GetRequiredService<IApplicationDbContext>();

        public Task Started => _started.Task;

        public void Finish() => _finish.TrySetResult();

        public Task<string> RunIn(IUnitOfWorkRunner units) => units.RunAsync(Db, WorkAsync, CancellationToken.None);

        private async ValueTask<string> WorkAsync(CancellationToken cancellationToken)
        {
            Db.Followers.Add(new Follower { AppId = platform.Account.AppId, OpenId = openId, CreatedAt = DateTimeOffset.UtcNow });
            await Db.SaveChangesAsync(cancellationToken);
            _started.TrySetResult();
            await _finish.Task;
            return fails ? throw new InvalidOperationException("the unit failed") : openId;
        }

        public ValueTask DisposeAsync() => _scope.DisposeAsync();
    }

    /// <summary>
    /// Fails the commit of the transaction that holds the given follower, as a full disk would (other
    /// transactions, the platform's own upkeep, commit as usual), or the next rollback to a savepoint.
    /// </summary>
    private sealed class FailingCommits : DbTransactionInterceptor
    {
        public string? FailWith { get; set; }

        /// <summary>Fails the next rollback to a savepoint (the connection gone bad mid-transaction).</summary>
        public bool FailUndo { get; set; }

        public override ValueTask<InterceptionResult> RollingBackToSavepointAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            if (FailUndo)
            {
                FailUndo = false;
                throw new Microsoft.Data.Sqlite.SqliteException("disk I/O error (injected)", 10);
            }

            return ValueTask.FromResult(result);
        }

        public override async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            if (FailWith is { } openId && await HoldsAsync(transaction, openId, cancellationToken))
            {
                throw new Microsoft.Data.Sqlite.SqliteException("disk I/O error (injected)", 10);
            }

            return result;
        }

        private static async Task<bool> HoldsAsync(DbTransaction transaction, string openId, CancellationToken cancellationToken)
        {
            await using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT COUNT(*) FROM \"Followers\" WHERE \"OpenId\" = $openId";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "$openId";
            parameter.Value = openId;
            command.Parameters.Add(parameter);
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
    }
}
