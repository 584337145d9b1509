using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// Written by every unit of work on SQL Server in its own transaction, under an id only that attempt
/// knows: after a COMMIT whose answer was lost, finding it tells that the unit committed (see
/// <see cref="TransactionPerUnit"/>). Needed for seconds; the retention janitor purges them after an hour.
/// </summary>
internal sealed class UnitOfWorkCommit
{
    public Guid Id { get; init; }

    public DateTimeOffset CommittedAt { get; init; }
}

internal sealed class UnitOfWorkCommitConfiguration : IEntityTypeConfiguration<UnitOfWorkCommit>
{
    public void Configure(EntityTypeBuilder<UnitOfWorkCommit> builder)
    {
        builder.ToTable("UnitOfWorkCommits");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.HasIndex(c => c.CommittedAt);
    }
}
