using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WeChat.Domain.Inbox;
using WeChat.Domain.Messages;

namespace WeChat.Infrastructure.Persistence.Configurations;

internal sealed class InboxEntryConfiguration : IEntityTypeConfiguration<InboxEntry>
{
    public void Configure(EntityTypeBuilder<InboxEntry> builder)
    {
        builder.ToTable("InboxEntries");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.AppId).HasMaxLength(Lengths.AppId).IsRequired();
        builder.Property(e => e.DedupKey).HasMaxLength(DeduplicationKeys.MaxLength).IsRequired();
        builder.Property(e => e.MsgType).HasMaxLength(64).IsRequired();
        builder.Property(e => e.Event).HasMaxLength(64);
        builder.Property(e => e.FromUserName).HasMaxLength(Lengths.OpenId).IsRequired();
        builder.HasIndex(e => new { e.AppId, e.DedupKey }).IsUnique();
        builder.HasIndex(e => e.ProcessedAt);
    }
}

internal sealed class PendingInboundMessageConfiguration : IEntityTypeConfiguration<PendingInboundMessage>
{
    public void Configure(EntityTypeBuilder<PendingInboundMessage> builder)
    {
        builder.ToTable("PendingInboundMessages");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.AppId).HasMaxLength(Lengths.AppId).IsRequired();
        builder.Property(e => e.DedupKey).HasMaxLength(DeduplicationKeys.MaxLength).IsRequired();
        builder.Property(e => e.Payload).IsRequired();
        builder.HasIndex(e => e.CreatedAt);
    }
}

/// <summary>Column sizes shared by the configurations.</summary>
internal static class Lengths
{
    public const int AppId = 32;
    public const int OpenId = 64;
    public const int KfAccount = 64;
    public const int ErrorText = 512;
}
