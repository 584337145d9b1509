namespace WeChat.Application.Configuration;

public enum DatabaseProvider
{
    SqlServer,
    Sqlite,
}

/// <summary>The <c>Database</c> section; the connection string is <c>ConnectionStrings:WeChat</c>.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";
    public const string ConnectionStringName = "WeChat";

    /// <summary><c>SqlServer</c> in production, <c>Sqlite</c> for the embedded mode and tests.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.SqlServer;

    /// <summary>Apply pending migrations at start-up (EF Core's migration lock makes concurrent start-ups safe).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
