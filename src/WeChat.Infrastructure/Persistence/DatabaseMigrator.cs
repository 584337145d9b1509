using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// Applies pending migrations before any other hosted service starts (the relay, the bus, the
/// senders all need the schema). EF Core takes a database-wide migration lock, so several
/// instances starting together are safe.
/// </summary>
public sealed partial class DatabaseMigrator(
    IServiceScopeFactory scopes,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseMigrator> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) =>
        options.Value.MigrateOnStartup ? MigrateAsync(cancellationToken) : Task.CompletedTask;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0)
        {
            // Nothing to apply: EF would still take its migration lock, a write that (with a lock row a
            // crashed migrator left behind) can wait for ever — and here it would hold the write turn.
            return;
        }

        LogMigrating(logger, pending.Count, pending);
        using (await scope.ServiceProvider.GetRequiredService<IDatabaseWriteGate>().EnterAsync(cancellationToken))
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Applying {Count} database migration(s): {Migrations}")]
    private static partial void LogMigrating(ILogger logger, int count, IReadOnlyList<string> migrations);
}
