using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using WeChat.Application.Abstractions;
using WeChat.Application.Common.Observability;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// One transaction per unit, inside the provider's execution strategy (SQL Server's retrying one
/// refuses a transaction begun outside it), so a transient failure retries the whole unit. A commit
/// whose answer was lost (the connection dropped while COMMIT was on its way) may have committed, so
/// each unit also writes a <see cref="UnitOfWorkCommit"/> row with an id of its own, and before
/// retrying, the strategy looks for it: found, the unit committed and its result stands. Without it a
/// unit with no inbox row (an agent's message, queued template messages, a new reply rule, a
/// hand-off's outcome) committed twice, and a rule's deletion answered 404. What the unit itself wrote
/// is no witness: a handler may save part of it before the end, and rows with natural keys can come
/// from another process meanwhile.
/// </summary>
internal sealed class TransactionPerUnit(TimeProvider time) : IUnitOfWorkRunner
{
    public Task<TResult> RunAsync<TResult>(IApplicationDbContext db, Func<CancellationToken, ValueTask<TResult>> work, CancellationToken cancellationToken)
    {
        var context = (WeChatDbContext)db;
        var commit = Guid.Empty;
        return context.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(
            async ct =>
            {
                var result = await work(ct);
                commit = context.UnitOfWorkCommits.Add(new UnitOfWorkCommit { CommittedAt = time.GetUtcNow() }).Entity.Id;
                await context.SaveChangesAsync(ct);
                return result;
            },
            ct => context.UnitOfWorkCommits.AsNoTracking().AnyAsync(c => c.Id == commit, ct),
            cancellationToken);
    }
}

/// <summary>
/// SQLite: group commit. SQLite has one writer, and BEGIN and COMMIT (its pages written to the WAL)
/// were about a third of a message's time at it, so units that queue up behind each other share one
/// transaction: each runs in its own savepoint on the group's connection — a unit that fails is rolled
/// back alone — and the last of the group (or the 32nd) commits for all. A unit's task completes only
/// after that commit, so nothing is acknowledged before it is durable, and a failed commit fails every
/// unit of the group (each is retried like any failed unit; the inbox makes that safe). Nobody waits
/// for a group to fill: a unit with nobody behind it commits at once, so an idle system commits every
/// unit alone.
/// </summary>
#pragma warning disable CA1001 // _turn is left undisposed on purpose (below).
internal sealed partial class SqliteGroupCommit(IDbContextFactory<WeChatDbContext> databases, IDatabaseWriteGate writeGate, WeChatMetrics metrics, ILogger<SqliteGroupCommit> logger)
    : IUnitOfWorkRunner
#pragma warning restore CA1001
{
    /// <summary>Units per group, failed ones included: bounds how long the first unit waits for the commit.</summary>
    public const int MaxUnitsPerCommit = 32;

    /// <summary>
    /// A wait for SQLite's write lock or a group's hold of it this long is logged. The write gate queues
    /// this process's writers and takes turns with the other processes on the file, so a wait after it
    /// is a writer that does not take turns; a long hold is a unit stuck inside its group.
    /// </summary>
    private static readonly TimeSpan SlowLock = TimeSpan.FromSeconds(1);

    // Not disposed with the container: a unit still waiting for its turn at shutdown must get it, or
    // the units of its group would wait for their commit for ever (nothing here needs a wait handle).
    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _waiting;
    private Group? _open;

    public async Task<TResult> RunAsync<TResult>(IApplicationDbContext db, Func<CancellationToken, ValueTask<TResult>> work, CancellationToken cancellationToken)
    {
        // A unit counted as waiting keeps the open group from committing, so its wait is not cancellable:
        // it must come and take its turn. Nor is the unit itself (Group.RunAsync): the token goes unused.
        Interlocked.Increment(ref _waiting);
        await _turn.WaitAsync(CancellationToken.None);
        Interlocked.Decrement(ref _waiting);

        Group? group = null;
        TResult result;
        try
        {
            if (_open is null)
            {
                _open = await Group.BeginAsync(databases, writeGate);
                if (_open.LockWait > SlowLock)
                {
                    LogSlowLockWait(logger, _open.LockWait.TotalMilliseconds);
                }
            }

            group = _open;
            result = await group.RunAsync(db, work);
        }
        finally
        {
            try
            {
                if (group is not null && (group.Broken || group.Joined >= MaxUnitsPerCommit || Volatile.Read(ref _waiting) == 0))
                {
                    _open = null;
                    await group.EndAsync(metrics);
                    if (group.Held > SlowLock)
                    {
                        LogLongHold(logger, group.Joined, group.Held.TotalMilliseconds);
                    }
                }
            }
            finally
            {
                _turn.Release();
            }
        }

        await group.Committed;
        return result;
    }

    [LoggerMessage(EventId = 8011, Level = LogLevel.Warning, Message = "Waited {WaitedMs:0} ms for SQLite's write lock after this process's turn: something that does not take turns is writing to the same database file")]
    private static partial void LogSlowLockWait(ILogger logger, double waitedMs);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Warning, Message = "A group of {Units} unit(s) of work held SQLite's write lock for {HeldMs:0} ms")]
    private static partial void LogLongHold(ILogger logger, int units, double heldMs);

    /// <summary>One transaction shared by the units that queued up for it, holding the write gate throughout.</summary>
    private sealed class Group(WeChatDbContext owner, IDbContextTransaction transaction, IDisposable gate, TimeSpan lockWait)
    {
        private const string Savepoint = "unit";

        private readonly long _began = Stopwatch.GetTimestamp();

        private readonly TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Units that took their turn in this group, failed ones included.</summary>
        public int Joined { get; private set; }

        /// <summary>Units whose changes this group carries.</summary>
        public int Units { get; private set; }

        /// <summary>A unit could not join, or its savepoint could not be undone: the transaction's state is unknown, only a rollback is safe.</summary>
        public bool Broken { get; private set; }

        public Task Committed => _committed.Task;

        /// <summary>How long BEGIN waited for SQLite's write lock.</summary>
        public TimeSpan LockWait => lockWait;

        /// <summary>From the end of BEGIN to the end of the commit (or rollback).</summary>
        public TimeSpan Held { get; private set; }

        public static async Task<Group> BeginAsync(IDbContextFactory<WeChatDbContext> databases, IDatabaseWriteGate writeGate)
        {
            // The context comes from the pool and touches no database until the transaction begins.
            var owner = await databases.CreateDbContextAsync();
            IDisposable? gate = null;
            try
            {
                gate = await writeGate.EnterAsync(CancellationToken.None);
                var started = Stopwatch.GetTimestamp();
                var transaction = await owner.Database.BeginTransactionAsync();
                return new Group(owner, transaction, gate, Stopwatch.GetElapsedTime(started));
            }
            catch
            {
                // The gate first: a gate never left would stop every write of the process.
                gate?.Dispose();
                await owner.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// Runs the unit on the group's connection and transaction, in a savepoint, inside the context's
        /// execution strategy (a retrying one refuses a transaction it did not see begin; a retry starts
        /// again from the savepoint). The scope's context is lent to the group for the unit only and gets
        /// its own connection back afterwards: it is pooled, and the next scope must not find the
        /// group's connection in it. Not cancellable once it has its turn: Microsoft.Data.Sqlite cancels
        /// a command with sqlite3_interrupt, which rolls back the whole transaction — every unit of the
        /// group — or, landing late, interrupts the group's next statement, its ROLLBACK included: the
        /// connection then went back to the pool still inside the transaction, and writes made on it
        /// afterwards (outbox outcomes) were never committed. Seen when a worker stopped mid-unit.
        /// </summary>
        public async Task<TResult> RunAsync<TResult>(IApplicationDbContext db, Func<CancellationToken, ValueTask<TResult>> work)
        {
            Joined++;
            var ownConnectionString = db.Database.GetConnectionString();
            db.Database.SetDbConnection(owner.Database.GetDbConnection(), contextOwnsConnection: false);
            try
            {
                return await db.Database.CreateExecutionStrategy().ExecuteAsync(_ => RunInSavepointAsync(db, work), CancellationToken.None);
            }
            finally
            {
                // Also forgets the group's transaction.
                db.Database.SetDbConnection(null, contextOwnsConnection: true);
                db.Database.SetConnectionString(ownConnectionString);
            }
        }

        /// <summary>Commits (or, if broken, rolls back) and lets the units waiting for it go on.</summary>
        public async Task EndAsync(WeChatMetrics metrics)
        {
            try
            {
                if (Broken)
                {
                    throw new InvalidOperationException("A unit's savepoint could not be set or undone; its group was rolled back.");
                }

                await transaction.CommitAsync(CancellationToken.None);
                if (Units > 0)
                {
                    metrics.GroupCommitted(Units);
                }

                _committed.TrySetResult();
            }
            catch (Exception ex)
            {
                _committed.TrySetException(ex);
                _ = _committed.Task.Exception; // observed: a group whose units all failed has nobody awaiting it
            }
            finally
            {
                await DisposeAsync();
                Held = Stopwatch.GetElapsedTime(_began);
            }
        }

        /// <summary>
        /// Ends the transaction (a rollback unless committed), returns the context with its connection and
        /// leaves the write gate, each even if the one before failed: a connection left open in a
        /// transaction would hold SQLite's write lock for every process.
        /// </summary>
        private async Task DisposeAsync()
        {
            try
            {
                await transaction.DisposeAsync();
            }
            finally
            {
                try
                {
                    await owner.DisposeAsync(); // closes the connection, which rolls back what is still open
                }
                finally
                {
                    gate.Dispose();
                }
            }
        }

        private async Task<TResult> RunInSavepointAsync<TResult>(IApplicationDbContext db, Func<CancellationToken, ValueTask<TResult>> work)
        {
            // A retry (a retrying execution strategy) must not run in a group that can only be rolled back:
            // if SQLite rolled the transaction back itself, a new savepoint would start and commit one of its own.
            if (Broken)
            {
                throw new InvalidOperationException("The unit's group can only be rolled back.");
            }

            try
            {
                await db.Database.UseTransactionAsync(transaction.GetDbTransaction(), CancellationToken.None);
                await transaction.CreateSavepointAsync(Savepoint, CancellationToken.None);
            }
            catch
            {
                Broken = true;
                throw;
            }

            try
            {
                var result = await work(CancellationToken.None);
                await db.SaveChangesAsync(CancellationToken.None);
                await transaction.ReleaseSavepointAsync(Savepoint, CancellationToken.None);
                Units++;
                return result;
            }
            catch
            {
                await UndoAsync();
                throw;
            }
        }

        private async Task UndoAsync()
        {
            try
            {
                await transaction.RollbackToSavepointAsync(Savepoint, CancellationToken.None);
                await transaction.ReleaseSavepointAsync(Savepoint, CancellationToken.None);
            }
            catch (Exception)
            {
                Broken = true;
            }
        }
    }
}
