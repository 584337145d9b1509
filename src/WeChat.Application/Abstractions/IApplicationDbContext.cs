using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using WeChat.Domain.Inbox;
using WeChat.Domain.Outbox;

namespace WeChat.Application.Abstractions;

/// <summary>The database as use cases see it: one unit of work, no repository layer on top of EF.</summary>
public interface IApplicationDbContext
{
    DbSet<InboxEntry> InboxEntries { get; }

    DbSet<OutboxMessage> OutboxMessages { get; }

    DatabaseFacade Database { get; }

    Task<int> SaveChangesAsync(CancellationToken cancellationToken);
}

/// <summary>Recognises the provider's unique-constraint error (SQLite 19/2067, SQL Server 2601/2627) in one place.</summary>
public interface IDatabaseErrors
{
    bool IsUniqueViolation(Exception exception);
}
