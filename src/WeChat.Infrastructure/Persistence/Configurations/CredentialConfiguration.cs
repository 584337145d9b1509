using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WeChat.Domain.Credentials;

namespace WeChat.Infrastructure.Persistence.Configurations;

internal sealed class CachedCredentialConfiguration : IEntityTypeConfiguration<CachedCredential>
{
    public void Configure(EntityTypeBuilder<CachedCredential> builder)
    {
        builder.ToTable("Credentials");
        builder.HasKey(c => new { c.AppId, c.Kind });
        builder.Property(c => c.AppId).HasMaxLength(Lengths.AppId);
        // WeChat asks callers to reserve at least 512 characters for an access token.
        builder.Property(c => c.Value).HasMaxLength(1024).IsRequired();
        builder.Property(c => c.LeaseOwner).HasMaxLength(128);
    }
}
