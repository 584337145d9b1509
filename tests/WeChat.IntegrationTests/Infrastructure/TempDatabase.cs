using Microsoft.Data.Sqlite;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>A fresh SQLite database file, deleted (with its WAL and lock files) on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wechat-tests", $"{Guid.NewGuid():N}.db");

    public string ConnectionString => $"Data Source={Path}";

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm", "-writer", "-writer-queue" })
        {
            File.Delete(Path + suffix);
        }
    }
}
