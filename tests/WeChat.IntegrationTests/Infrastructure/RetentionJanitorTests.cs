using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Domain.Outbox;
using WeChat.Infrastructure.Operations;
using WeChat.Infrastructure.Persistence;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>The workers' hourly retention purge against a real database file.</summary>
public sealed class RetentionJanitorTests : IAsyncLifetime
{
    private readonly TempDatabase _database = new();
    private WeChatClientHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await WeChatClientHost.StartAsync(new Uri("http://127.0.0.1:9/"), _database.Path, [TestAccounts.Create("purge")]);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task Unit_of_work_commit_records_are_kept_an_hour()
    {
        var databases = _host.Get<IDbContextFactory<WeChatDbContext>>();
        var old = Guid.CreateVersion7();
        var recent = Guid.CreateVersion7();
        await using (var db = await databases.CreateDbContextAsync())
        {
            db.UnitOfWorkCommits.AddRange(
                new UnitOfWorkCommit { Id = old, CommittedAt = DateTimeOffset.UtcNow.AddMinutes(-61) },
                new UnitOfWorkCommit { Id = recent, CommittedAt = DateTimeOffset.UtcNow.AddMinutes(-59) });
            await db.SaveChangesAsync();
        }

        await ActivatorUtilities.CreateInstance<RetentionJanitor>(_host.Services).PurgeAsync(CancellationToken.None);

        await using (var db = await databases.CreateDbContextAsync())
        {
            Assert.Equal([recent], await db.UnitOfWorkCommits.Select(c => c.Id).ToListAsync());
        }
    }

    [Fact]
    public async Task A_failing_inbox_purge_does_not_keep_finished_outbox_rows_from_being_purged()
    {
        var databases = _host.Get<IDbContextFactory<WeChatDbContext>>();
        await using (var db = await databases.CreateDbContextAsync())
        {
            db.OutboxMessages.Add(new OutboxMessage
            {
                Id = Guid.CreateVersion7(),
                AppId = "wxpurge",
                Kind = OutboxKind.CustomerServiceMessage,
                ToUser = "oLongAgo",
                Payload = "{}",
                Status = OutboxStatus.Sent,
                CreatedAt = DateTimeOffset.UtcNow.AddDays(-30),
                CompletedAt = DateTimeOffset.UtcNow.AddDays(-30),
            });
            await db.SaveChangesAsync();
            // The inbox purge fails as it would on a table it cannot read.
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE InboxEntries RENAME TO InboxEntriesElsewhere");
        }

        await ActivatorUtilities.CreateInstance<RetentionJanitor>(_host.Services).PurgeAsync(CancellationToken.None);

        await using (var db = await databases.CreateDbContextAsync())
        {
            Assert.False(await db.OutboxMessages.AnyAsync(m => m.ToUser == "oLongAgo"));
        }
    }
}
