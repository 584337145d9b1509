using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WeChat.Infrastructure.Persistence;

/// <summary>
/// Per-connection SQLite settings: WAL so readers never block the single writer and several
/// processes can share one file, NORMAL sync (durable across process crashes, which is what the
/// embedded mode and tests need; production runs on SQL Server), and a busy timeout so writers
/// queue instead of failing when another process holds the lock, and a page cache of up to 16 MB
/// instead of 2 MB (alternated runs at 500 messages/s: one worker's writer busy 79–86 % with it,
/// 82–87 % without; docs/benchmarks.md "SQLite page cache"). Pooled connections keep their native
/// handle, so each handle is configured once rather than on every open.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-16000;";

    private readonly ConditionalWeakTable<object, object> _configured = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (NeedsPragmas(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (NeedsPragmas(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private bool NeedsPragmas(DbConnection connection) =>
        connection is not SqliteConnection { Handle: { } handle } || _configured.TryAdd(handle, handle);
}
