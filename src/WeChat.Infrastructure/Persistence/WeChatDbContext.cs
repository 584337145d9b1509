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

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(WeChatDbContext).Assembly);
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
