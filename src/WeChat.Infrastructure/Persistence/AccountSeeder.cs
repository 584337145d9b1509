using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions;
using WeChat.Application.Configuration;
using WeChat.Application.Replies;
using WeChat.Domain.Accounts;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// Gives each configured account its record and, once, the default reply rules of the product spec.
/// The account row's primary key decides which instance seeds when several start together, and
/// seeding never repeats, so rules an operator deleted stay deleted. Runs after the migrator.
/// </summary>
public sealed partial class AccountSeeder(
    IServiceScopeFactory scopes,
    IOptions<WeChatOptions> options,
    IDatabaseErrors errors,
    TimeProvider time,
    ILogger<AccountSeeder> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var account in options.Value.Accounts)
        {
            await SeedAsync(account.AppId, cancellationToken);
        }
    }

    private async Task SeedAsync(string appId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
        if (await db.AccountRecords.AnyAsync(a => a.AppId == appId, cancellationToken))
        {
            return;
        }

        var now = time.GetUtcNow();
        db.AccountRecords.Add(new AccountRecord { AppId = appId, CreatedAt = now, RulesSeededAt = now });
        db.ReplyRules.AddRange(DefaultReplyRules.For(appId, now));
        try
        {
            using (await scope.ServiceProvider.GetRequiredService<IDatabaseWriteGate>().EnterAsync(cancellationToken))
            {
                await db.SaveChangesAsync(cancellationToken);
            }

            LogSeeded(logger, appId);
        }
        catch (DbUpdateException ex) when (errors.IsUniqueViolation(ex))
        {
            // Another instance seeded this account at the same moment.
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Account {AppId} registered with the default reply rules")]
    private static partial void LogSeeded(ILogger logger, string appId);
}
