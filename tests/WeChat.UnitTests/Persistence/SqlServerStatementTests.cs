using System.Data;
using System.Data.Common;
using System.Data.SqlTypes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;
using WeChat.Domain.Outbox;
using WeChat.Infrastructure.Operations;
using WeChat.Infrastructure.Outbox;
using WeChat.Infrastructure.Persistence;

namespace WeChat.UnitTests.Persistence;

/// <summary>
/// Bulk statements built with LINQ are translated per provider when they run. SQL Server cannot run
/// here, so these run against a SQL Server context whose connection never opens and whose commands
/// are captured instead of sent: a statement SQL Server's provider cannot translate fails here.
/// </summary>
public sealed class SqlServerStatementTests
{
    [Fact]
    public async Task Retention_purges_translate_to_batched_deletes_of_the_oldest_rows_along_an_index()
    {
        var captured = new CapturedCommands();
        var operations = new PlatformOperations(
            new SqlServerContexts(captured), new OpenWriteGate(), Options.Create(new MessagingOptions()),
            new ConfigurationBuilder().Build(), TimeProvider.System, NullLogger<PlatformOperations>.Instance);

        await operations.PurgeOutboxAsync(TimeSpan.FromDays(7), CancellationToken.None);
        await operations.PurgeInboxAsync(TimeSpan.FromDays(7), CancellationToken.None);
        await operations.PurgeUnitOfWorkCommitsAsync(RetentionJanitor.UnitOfWorkCommitRetention, CancellationToken.None);

        Assert.Collection(
            captured.Statements,
            outbox =>
            {
                Assert.StartsWith("DELETE FROM [o]\nFROM [OutboxMessages] AS [o]", outbox, StringComparison.Ordinal);
                Assert.Contains("SELECT TOP(@p) [o0].[Id]", outbox, StringComparison.Ordinal);
                Assert.Contains("[CompletedAt] < @cutoff", outbox, StringComparison.Ordinal);
                Assert.Contains("ORDER BY [o0].[Status], [o0].[NextAttemptAt]", outbox, StringComparison.Ordinal); // IX_OutboxMessages_Status_NextAttemptAt
            },
            inbox =>
            {
                Assert.StartsWith("DELETE FROM [i]\nFROM [InboxEntries] AS [i]", inbox, StringComparison.Ordinal);
                Assert.Contains("SELECT TOP(@p) [i0].[Id]", inbox, StringComparison.Ordinal);
                Assert.Contains("ORDER BY [i0].[ProcessedAt]", inbox, StringComparison.Ordinal); // IX_InboxEntries_ProcessedAt
            },
            commits =>
            {
                Assert.StartsWith("DELETE FROM [u]\nFROM [UnitOfWorkCommits] AS [u]", commits, StringComparison.Ordinal);
                Assert.Contains("ORDER BY [u0].[CommittedAt]", commits, StringComparison.Ordinal); // IX_UnitOfWorkCommits_CommittedAt
            });
    }

    [Fact]
    public void Unit_of_work_commit_records_get_keys_in_sql_servers_own_order()
    {
        // SQL Server sorts a uniqueidentifier by its last six bytes first: keys in that order append to
        // the clustered index of a table every unit of work writes to, instead of splitting its pages.
        using var db = new SqlServerContexts(new CapturedCommands()).CreateDbContext();

        var keys = Enumerable.Range(0, 100).Select(_ => db.UnitOfWorkCommits.Add(new UnitOfWorkCommit { CommittedAt = DateTimeOffset.UtcNow }).Entity.Id).ToList();

        Assert.DoesNotContain(Guid.Empty, keys);
        Assert.Equal(keys, keys.OrderBy(key => new SqlGuid(key)));
    }

    [Fact]
    public async Task The_outbox_claims_outcomes_recovery_and_due_queries_translate()
    {
        var captured = new CapturedCommands { RowsAffected = 1 }; // every claim wins
        var services = new ServiceCollection().AddMetrics().AddSingleton<WeChatMetrics>().BuildServiceProvider();
        var outcomes = new Queue<OutboxAttempt>([OutboxAttempt.Done, new OutboxAttempt(WeChatFailure.Transient, -1, "system busy")]);
        await using (var sender = new OutboxSender(
            new SqlServerContexts(captured), [new ScriptedExecutor(outcomes)], services.GetRequiredService<IServiceScopeFactory>(), new OpenWriteGate(),
            management: null!, // only profile batches call it, and the due query here finds none
            Options.Create(new OutboxOptions()), services.GetRequiredService<WeChatMetrics>(), TimeProvider.System, NullLogger<OutboxSender>.Instance))
        {
            await sender.DispatchAsync([Reply(), Reply()], CancellationToken.None);
            await sender.OutcomesRecordedAsync(); // captured in order: the fast path does not wait for them
            await sender.RecoverAbandonedAsync(CancellationToken.None);
            await sender.DueAsync(10, CancellationToken.None);
            await sender.SendProfileBatchesAsync(CancellationToken.None);
        }

        var updates = captured.Statements.Where(sql => sql.StartsWith("UPDATE", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, updates.Count); // two claims, the sent outcome, the retry outcome, two recovery updates
        Assert.Equal(2, updates.Count(sql => sql.Contains("[Attempts] = [o].[Attempts] + 1", StringComparison.Ordinal)));
        Assert.Equal(2, captured.Statements.Count(sql => sql.StartsWith("SELECT", StringComparison.Ordinal)));
    }

    private static OutboxMessage Reply() => new()
    {
        Id = Guid.CreateVersion7(),
        AppId = "wx0123456789abcdef",
        Kind = OutboxKind.CustomerServiceMessage,
        ToUser = "oStatement",
        Payload = "{}",
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private sealed class ScriptedExecutor(Queue<OutboxAttempt> outcomes) : IOutboxExecutor
    {
        public OutboxKind Kind => OutboxKind.CustomerServiceMessage;

        public Task<OutboxAttempt> ExecuteAsync(OutboxMessage message, IServiceProvider scope, CancellationToken cancellationToken) =>
            Task.FromResult(outcomes.Dequeue());
    }

    private sealed class SqlServerContexts(CapturedCommands captured) : IDbContextFactory<WeChatDbContext>
    {
        private readonly DbContextOptions<SqlServerWeChatDbContext> _options = new DbContextOptionsBuilder<SqlServerWeChatDbContext>()
            .UseSqlServer("Server=never-connected;Database=WeChat;TrustServerCertificate=True")
            .AddInterceptors(captured)
            .Options;

        public WeChatDbContext CreateDbContext() => new SqlServerWeChatDbContext(_options);
    }

    /// <summary>Keeps the connection closed and records each command instead of executing it: queries find no rows.</summary>
    private sealed class CapturedCommands : DbCommandInterceptor, IDbConnectionInterceptor
    {
        public List<string> Statements { get; } = [];

        public int RowsAffected { get; init; }

        public ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(InterceptionResult.Suppress());

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Statements.Add(command.CommandText.TrimStart());
            return ValueTask.FromResult(InterceptionResult<int>.SuppressWithResult(RowsAffected));
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Statements.Add(command.CommandText.TrimStart());
            return ValueTask.FromResult(InterceptionResult<DbDataReader>.SuppressWithResult(new DataTable().CreateDataReader()));
        }
    }
}
