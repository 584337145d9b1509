using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using WeChat.Infrastructure.Persistence;

namespace WeChat.UnitTests.Persistence;

/// <summary>
/// SQL Server cannot run here, so its side is proven by construction: the model and the migration
/// scripts build, and no provider has model changes without a migration.
/// </summary>
public sealed class MigrationTests
{
    private static readonly string[] Tables =
        ["Accounts", "Credentials", "ConversationSessions", "Followers", "InboxEntries", "OutboxMessages", "PendingInboundMessages", "ReplyRules", "TemplateMessages"];

    [Fact]
    public void Sql_server_create_script_builds_every_table_and_the_inbox_unique_index()
    {
        using var db = new SqlServerDesignTimeFactory().CreateDbContext([]);

        var script = db.Database.GenerateCreateScript();

        Assert.All(Tables, table => Assert.Contains($"CREATE TABLE [{table}]", script, StringComparison.Ordinal));
        Assert.Contains("CREATE UNIQUE INDEX [IX_InboxEntries_AppId_DedupKey]", script, StringComparison.Ordinal);
        Assert.Contains("datetimeoffset", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Sql_server_idempotent_migration_script_generates()
    {
        using var db = new SqlServerDesignTimeFactory().CreateDbContext([]);

        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        Assert.Contains("__EFMigrationsHistory", script, StringComparison.Ordinal);
        Assert.Contains("IF NOT EXISTS", script, StringComparison.Ordinal);
        Assert.All(Tables, table => Assert.Contains($"CREATE TABLE [{table}]", script, StringComparison.Ordinal));
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    [Fact]
    public void No_provider_has_model_changes_without_a_migration()
    {
        using var sqlServer = new SqlServerDesignTimeFactory().CreateDbContext([]);
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);

        Assert.False(sqlServer.Database.HasPendingModelChanges(), "SQL Server model changed: run scripts/add-migration.sh <Name>");
        Assert.False(sqlite.Database.HasPendingModelChanges(), "SQLite model changed: run scripts/add-migration.sh <Name>");
    }

    [Fact]
    public async Task Sqlite_migrations_apply_to_a_fresh_file_and_enforce_the_inbox_key()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wechat-migration-{Guid.NewGuid():N}.db");
        try
        {
            await using (var db = new SqliteWeChatDbContext(new DbContextOptionsBuilder<SqliteWeChatDbContext>().UseSqlite($"Data Source={path}").Options))
            {
                await db.Database.MigrateAsync();
                Assert.Empty(await db.Database.GetPendingMigrationsAsync());

                var now = DateTimeOffset.UtcNow;
                db.InboxEntries.Add(new() { AppId = "wx1", DedupKey = "msg|o|1", MsgType = "text", FromUserName = "o", ReceivedAt = now, ProcessedAt = now });
                await db.SaveChangesAsync();
                db.InboxEntries.Add(new() { AppId = "wx1", DedupKey = "msg|o|1", MsgType = "text", FromUserName = "o", ReceivedAt = now, ProcessedAt = now });
                var duplicate = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
                Assert.True(new DatabaseErrors().IsUniqueViolation(duplicate));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
