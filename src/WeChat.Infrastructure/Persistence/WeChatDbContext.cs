using Microsoft.EntityFrameworkCore;
using WeChat.Application.Abstractions;
using WeChat.Domain.Accounts;
using WeChat.Domain.Conversations;
using WeChat.Domain.Credentials;
using WeChat.Domain.Followers;
using WeChat.Domain.Inbox;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;
using WeChat.Domain.Templates;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// The one model, shared by both providers. Each provider has a subclass that owns its migrations
/// (<see cref="SqliteWeChatDbContext"/>, <see cref="SqlServerWeChatDbContext"/>).
/// </summary>
public abstract class WeChatDbContext(DbContextOptions options) : DbContext(options), IApplicationDbContext
{
    public DbSet<InboxEntry> InboxEntries => Set<InboxEntry>();

    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    public DbSet<PendingInboundMessage> PendingInboundMessages => Set<PendingInboundMessage>();

    public DbSet<CachedCredential> Credentials => Set<CachedCredential>();

    public DbSet<AccountRecord> AccountRecords => Set<AccountRecord>();

    public DbSet<Follower> Followers => Set<Follower>();

    public DbSet<ConversationSession> ConversationSessions => Set<ConversationSession>();

    public DbSet<ReplyRule> ReplyRules => Set<ReplyRule>();

    public DbSet<TemplateMessage> TemplateMessages => Set<TemplateMessage>();

    internal DbSet<UnitOfWorkCommit> UnitOfWorkCommits => Set<UnitOfWorkCommit>();

    /// <summary>
    /// While a scope holds this pooled context (<see cref="ScopedContext{TContext}"/>), only the scope's
    /// end returns it to the pool. The container disposes it once for every name it was resolved by, and
    /// every Dispose of a pooled context returns it: a context returned twice was disposed under whoever
    /// had rented it in between, then handed to two users at once.
    /// </summary>
    internal bool HeldByScope { get; set; }

    public override void Dispose()
    {
        if (!HeldByScope)
        {
            base.Dispose();
            GC.SuppressFinalize(this);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (!HeldByScope)
        {
            await base.DisposeAsync();
            GC.SuppressFinalize(this);
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(WeChatDbContext).Assembly);
}

/// <summary>
/// A scope's context, rented from the pool when the scope first asks for it and returned once when the
/// scope ends. The container resolves this holder before the context it hands out and disposes in
/// reverse order, so the context's own Dispose calls (ignored while held) all come before this one.
/// </summary>
internal sealed class ScopedContext<TContext> : IDisposable, IAsyncDisposable
    where TContext : WeChatDbContext
{
    public ScopedContext(IDbContextFactory<TContext> contexts)
    {
        Context = contexts.CreateDbContext();
        Context.HeldByScope = true;
    }

    public TContext Context { get; }

    public void Dispose()
    {
        Context.HeldByScope = false;
        Context.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Context.HeldByScope = false;
        return Context.DisposeAsync();
    }
}

public sealed class SqlServerWeChatDbContext(DbContextOptions<SqlServerWeChatDbContext> options) : WeChatDbContext(options);

public sealed class SqliteWeChatDbContext(DbContextOptions<SqliteWeChatDbContext> options) : WeChatDbContext(options)
{
    /// <summary>
    /// SQLite cannot compare or order DateTimeOffset values in queries; stored as binary-encoded
    /// 64-bit values (always UTC here) they compare correctly.
    /// </summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
    }
}
