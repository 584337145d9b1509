using System.Data.Common;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WeChat.Application.Abstractions;
using WeChat.Application.ReplyRules;
using WeChat.Domain.Replies;
using WeChat.Infrastructure.Persistence;
using WeChat.IntegrationTests.Infrastructure;

namespace WeChat.IntegrationTests.Persistence;

/// <summary>
/// SQL Server runs each unit in a transaction of its own inside its retrying execution strategy. A
/// connection that drops while COMMIT is on its way leaves the outcome unknown; the strategy retries,
/// and a unit without an inbox row (an agent's message, a new reply rule) must not commit twice. SQL
/// Server cannot run here: the platform runs on a SQLite file with SQL Server's unit-of-work runner and
/// a strategy that retries what the interceptor throws at a commit, before or after it happened. The
/// commands are the real ones, sent through the mediator.
/// </summary>
public sealed class TransactionPerUnitTests : IAsyncLifetime
{
    private readonly CommitFaults _faults = new();
    private EmbeddedPlatform _platform = null!;

    public async Task InitializeAsync()
    {
        _platform = await EmbeddedPlatform.StartAsync(
            TestAccounts.Create("uow"),
            new Dictionary<string, string?>(),
            services =>
            {
                services.Replace(ServiceDescriptor.Singleton<IUnitOfWorkRunner, TransactionPerUnit>());
                services.ConfigureDbContext<SqliteWeChatDbContext>(db => db
                    .UseSqlite(sqlite => sqlite.ExecutionStrategy(dependencies => new RetryingOnCommitFaults(dependencies)))
                    .AddInterceptors(_faults));
                services.WithoutScheduledWriters();
            });
        _ = _platform.Api.Services; // starts the host: migrations applied
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private string AppId => _platform.Account.AppId;

    [Fact]
    public async Task A_rule_created_by_a_unit_whose_commit_answer_was_lost_is_created_once()
    {
        var fault = _faults.LoseAnswerOfNextCommit();

        var created = await SendAsync(new CreateReplyRule(AppId, Rule("after a lost answer")));

        Assert.True(fault.Happened);
        Assert.Equal(["after a lost answer"], await StoredRuleNamesAsync());
        Assert.Equal(created.Id, (await StoredRuleIdsAsync()).Single());
    }

    [Fact]
    public async Task A_rule_deleted_by_a_unit_whose_commit_answer_was_lost_is_reported_deleted()
    {
        var created = await SendAsync(new CreateReplyRule(AppId, Rule("to delete")));
        var fault = _faults.LoseAnswerOfNextCommit();

        var deleted = await SendAsync(new DeleteReplyRule(AppId, created.Id));

        Assert.True(fault.Happened);
        Assert.True(deleted);
        Assert.Empty(await StoredRuleNamesAsync());
    }

    [Fact]
    public async Task A_unit_whose_commit_failed_runs_again_and_commits_once()
    {
        var fault = _faults.FailNextCommit();

        await SendAsync(new CreateReplyRule(AppId, Rule("after a failed commit")));

        Assert.True(fault.Happened);
        Assert.Equal(["after a failed commit"], await StoredRuleNamesAsync());
    }

    private async Task<TResponse> SendAsync<TResponse>(ICommand<TResponse> command)
    {
        await using var scope = _platform.Api.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ISender>().Send(command);
    }

    private async Task<List<string>> StoredRuleNamesAsync()
    {
        await using var db = await _platform.Api.Services.GetRequiredService<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync();
        return await db.ReplyRules.AsNoTracking().Where(r => r.AppId == AppId && r.Pattern!.StartsWith("uow:")).Select(r => r.Name).ToListAsync();
    }

    private async Task<List<long>> StoredRuleIdsAsync()
    {
        await using var db = await _platform.Api.Services.GetRequiredService<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync();
        return await db.ReplyRules.AsNoTracking().Where(r => r.AppId == AppId && r.Pattern!.StartsWith("uow:")).Select(r => r.Id).ToListAsync();
    }

    private static ReplyRuleInput Rule(string name) => new(name, ReplyTrigger.Text, TextMatch.Exact, "uow:" + name, Priority: 0, Enabled: true, new TextReply(name));

    /// <summary>A fault for the next commit made on the test's own path (an async-local flag), not a background writer's.</summary>
    private sealed class Fault(bool afterCommit)
    {
        public bool AfterCommit { get; } = afterCommit;

        public bool Happened { get; set; }
    }

    /// <summary>The connection dropping around COMMIT: before it reached the database, or after, with its answer lost.</summary>
    private sealed class CommitFaults : DbTransactionInterceptor
    {
        private readonly AsyncLocal<Fault?> _next = new();

        public Fault FailNextCommit() => _next.Value = new Fault(afterCommit: false);

        public Fault LoseAnswerOfNextCommit() => _next.Value = new Fault(afterCommit: true);

        public override ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            ThrowIfDue(afterCommit: false);
            return ValueTask.FromResult(result);
        }

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            ThrowIfDue(afterCommit: true);
            return Task.CompletedTask;
        }

        private void ThrowIfDue(bool afterCommit)
        {
            if (_next.Value is { Happened: false } fault && fault.AfterCommit == afterCommit)
            {
                fault.Happened = true;
                throw new CommitFaultException(afterCommit ? "connection lost before COMMIT's answer came back" : "connection lost before COMMIT reached the database");
            }
        }
    }

    private sealed class CommitFaultException(string message) : Exception(message);

    private sealed class RetryingOnCommitFaults(ExecutionStrategyDependencies dependencies)
        : ExecutionStrategy(dependencies, maxRetryCount: 3, maxRetryDelay: TimeSpan.FromMilliseconds(50))
    {
        protected override bool ShouldRetryOn(Exception exception) => exception is CommitFaultException;
    }
}
