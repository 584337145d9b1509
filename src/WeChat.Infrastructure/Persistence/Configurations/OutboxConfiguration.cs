using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WeChat.Domain.Messages;
using WeChat.Domain.Outbox;

namespace WeChat.Infrastructure.Persistence.Configurations;

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("OutboxMessages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.AppId).HasMaxLength(Lengths.AppId).IsRequired();
        builder.Property(m => m.ToUser).HasMaxLength(Lengths.OpenId).IsRequired();
        builder.Property(m => m.KfAccount).HasMaxLength(Lengths.KfAccount);
        builder.Property(m => m.Source).HasMaxLength(DeduplicationKeys.MaxLength);
        builder.Property(m => m.Payload).IsRequired();
        builder.Property(m => m.LastError).HasMaxLength(Lengths.ErrorText);
        builder.HasIndex(m => new { m.Status, m.NextAttemptAt });
        builder.HasIndex(m => new { m.AppId, m.ToUser });
    }
}
