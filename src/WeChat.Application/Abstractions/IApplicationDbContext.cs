using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using WeChat.Domain.Accounts;
using WeChat.Domain.Conversations;
using WeChat.Domain.Followers;
using WeChat.Domain.Inbox;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;
using WeChat.Domain.Templates;

namespace WeChat.Application.Abstractions;

/// <summary>The database as use cases see it: one unit of work, no repository layer on top of EF.</summary>
public interface IApplicationDbContext
{
    DbSet<AccountRecord> AccountRecords { get; }

    DbSet<InboxEntry> InboxEntries { get; }

    DbSet<OutboxMessage> OutboxMessages { get; }

    DbSet<Follower> Followers { get; }

    DbSet<ConversationSession> ConversationSessions { get; }

    DbSet<ReplyRule> ReplyRules { get; }

    DbSet<TemplateMessage> TemplateMessages { get; }

    DatabaseFacade Database { get; }

    ChangeTracker ChangeTracker { get; }

    Task<int> SaveChangesAsync(CancellationToken cancellationToken);
}

/// <summary>Recognises the provider's unique-constraint error (SQLite 19/2067, SQL Server 2601/2627) in one place.</summary>
public interface IDatabaseErrors
{
    bool IsUniqueViolation(Exception exception);
}

/// <summary>
/// Serializes write transactions where the database needs it. SQLite allows one writer at a time and
/// its busy handler sleeps in growing steps, so many concurrent writers in one process convoy behind
/// each other, and a busy process can starve another on the same file; queueing them in memory and
/// taking turns with the other processes instead keeps throughput and fairness. Every write on SQLite
/// goes through it. SQL Server needs nothing of the kind (its gate is a no-op).
/// </summary>
public interface IDatabaseWriteGate
{
    ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Runs a handler's unit of work in a database transaction: the work, then its pending changes saved,
/// then the commit. The work either commits whole or leaves nothing behind; the returned task completes
/// only once its changes are durable.
/// </summary>
public interface IUnitOfWorkRunner
{
    /// <param name="db">The context the work uses (the scope's).</param>
    /// <param name="work">
    /// The unit; it may run more than once (a provider's execution strategy retries a unit from scratch).
    /// </param>
    Task<TResult> RunAsync<TResult>(IApplicationDbContext db, Func<CancellationToken, ValueTask<TResult>> work, CancellationToken cancellationToken);
}
