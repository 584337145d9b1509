using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WeChat.Application.Configuration;
using WeChat.Infrastructure.Operations;
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
    public async Task Retention_purges_translate_to_batched_deletes()
    {
        var captured = new CapturedCommands();
        var operations = new PlatformOperations(
            new SqlServerContexts(captured), new OpenWriteGate(), Options.Create(new MessagingOptions()),
            new ConfigurationBuilder().Build(), TimeProvider.System, NullLogger<PlatformOperations>.Instance);

        await operations.PurgeOutboxAsync(TimeSpan.FromDays(7), CancellationToken.None);
        await operations.PurgeInboxAsync(TimeSpan.FromDays(7), CancellationToken.None);

        Assert.Collection(
            captured.Statements,
            outbox =>
            {
                Assert.StartsWith("DELETE TOP(", outbox, StringComparison.Ordinal);
                Assert.Contains("FROM [OutboxMessages]", outbox, StringComparison.Ordinal);
                Assert.Contains("[CompletedAt] <", outbox, StringComparison.Ordinal);
            },
            inbox =>
            {
                Assert.StartsWith("DELETE TOP(", inbox, StringComparison.Ordinal);
                Assert.Contains("FROM [InboxEntries]", inbox, StringComparison.Ordinal);
            });
    }

    private sealed class SqlServerContexts(CapturedCommands captured) : IDbContextFactory<WeChatDbContext>
    {
        private readonly DbContextOptions<SqlServerWeChatDbContext> _options = new DbContextOptionsBuilder<SqlServerWeChatDbContext>()
            .UseSqlServer("Server=never-connected;Database=WeChat;TrustServerCertificate=True")
            .AddInterceptors(captured)
            .Options;

        public WeChatDbContext CreateDbContext() => new SqlServerWeChatDbContext(_options);
    }

    /// <summary>Keeps the connection closed and records each non-query instead of executing it (0 rows affected).</summary>
    private sealed class CapturedCommands : DbCommandInterceptor, IDbConnectionInterceptor
    {
        public List<string> Statements { get; } = [];

        public ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(InterceptionResult.Suppress());

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Statements.Add(command.CommandText.TrimStart());
            return ValueTask.FromResult(InterceptionResult<int>.SuppressWithResult(0));
        }
    }
}
