using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// Written by every unit of work on SQL Server in its own transaction, under an id only that attempt
/// knows (EF generates it when the row is added): after a COMMIT whose answer was lost, finding it
/// tells that the unit committed (see <see cref="TransactionPerUnit"/>). Needed for seconds; the
/// retention janitor purges them after an hour.
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
        // The key is EF's to generate: on SQL Server a Guid sequential in its own sort order (which
        // compares the last six bytes first, so a version-7 Guid lands at random places), so each
        // unit's row goes at the end of the clustered index instead of splitting a page.
        builder.HasKey(c => c.Id);
        builder.HasIndex(c => c.CommittedAt);
    }
}
