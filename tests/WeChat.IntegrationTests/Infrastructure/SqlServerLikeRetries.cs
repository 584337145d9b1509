using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Infrastructure.Persistence;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>
/// Production runs SQL Server with <c>EnableRetryOnFailure</c>, whose execution strategy refuses a
/// transaction begun outside it ("does not support user-initiated transactions"). SQL Server cannot
/// run here, so the in-process hosts of these tests give SQLite a retrying strategy of the same kind:
/// code that would fail that way on SQL Server fails here too.
/// </summary>
public static class SqlServerLikeRetries
{
    public static IServiceCollection UseSqlServerLikeRetries(this IServiceCollection services) =>
        services.ConfigureDbContext<SqliteWeChatDbContext>(db => db.UseSqlite(sqlite => sqlite.ExecutionStrategy(dependencies => new Strategy(dependencies))));

    /// <summary>Retries what SQLite reports as a lock held elsewhere; like every retrying strategy, checks for outside transactions first.</summary>
    private sealed class Strategy(ExecutionStrategyDependencies dependencies)
        : ExecutionStrategy(dependencies, maxRetryCount: 3, maxRetryDelay: TimeSpan.FromSeconds(1))
    {
        private const int SqliteBusy = 5;
        private const int SqliteLocked = 6;

        protected override bool ShouldRetryOn(Exception exception) =>
            exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked };
    }
}
