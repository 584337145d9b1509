using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace WeChat.Infrastructure.Persistence;

// Used by `dotnet ef` (migrations add, script, has-pending-model-changes); no database is contacted.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteWeChatDbContext>
{
    public SqliteWeChatDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteWeChatDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerWeChatDbContext>
{
    public SqlServerWeChatDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerWeChatDbContext>().UseSqlServer("Server=localhost;Database=WeChat;Trusted_Connection=True;TrustServerCertificate=True").Options);
}
