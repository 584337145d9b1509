using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Application.Common.Observability;
using WeChat.Infrastructure.Persistence;

namespace WeChat.IntegrationTests.Persistence;

/// <summary>
/// Processes sharing one SQLite file take turns at writing (<see cref="SqliteProcessTurn"/>). Each write
/// gate here has its own lock-file descriptors, and flock locks belong to the descriptor, so two gates
/// in one test process compete exactly as two worker processes do; the second database connection
/// meets SQLite's lock as another process's would.
/// </summary>
public sealed class SqliteProcessTurnTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wechat-turns-");
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddSingleton<WeChatMetrics>().BuildServiceProvider();

    private string DatabasePath => Path.Combine(_directory.FullName, "turns.db");

    // SQLite's busy timeout at 5 s: a writer kept from the lock that long fails with "database is locked".
    private string ConnectionString => $"Data Source={DatabasePath};Pooling=False;Default Timeout=5";

    public void Dispose()
    {
        _services.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Processes_writing_one_file_back_to_back_take_turns_instead_of_one_starving_the_other()
    {
        using (var setup = Open())
        {
            Execute(setup, "PRAGMA journal_mode=WAL; CREATE TABLE writes(id INTEGER PRIMARY KEY, writer TEXT NOT NULL);");
        }

        using var busyGate = Gate();
        using var otherGate = Gate();
        using var stop = new CancellationTokenSource();
        var busyWrites = 0;
        // Commits and begins again at once, as a worker with a backlog does; without turns SQLite kept the
        // lock with it and the other writer's BEGIN failed after its busy timeout.
        var busyWriter = Task.Run(async () =>
        {
            using var connection = Open();
            while (!stop.IsCancellationRequested)
            {
                await WriteAsync(busyGate, connection, "busy");
                Interlocked.Increment(ref busyWrites);
            }
        });

        try
        {
            while (Volatile.Read(ref busyWrites) < 20)
            {
                await Task.Delay(10);
            }

            using var connection = Open();
            for (var i = 0; i < 20; i++)
            {
                await WriteAsync(otherGate, connection, "other");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await busyWriter;
        }

        using var check = Open();
        var order = Query(check, "SELECT writer FROM writes ORDER BY id");
        var others = order.Select((writer, position) => (writer, position)).Where(write => write.writer == "other").Select(write => write.position).ToList();
        var busyTurnsBetween = others.Zip(others.Skip(1), (earlier, later) => later - earlier - 1).ToList();
        Assert.Equal(20, others.Count);
        // They competed all along: the busy writer kept writing between the other's writes.
        Assert.True(busyTurnsBetween.Sum() >= 10, string.Join(',', busyTurnsBetween));
    }

    [Fact]
    public async Task A_process_that_dies_while_writing_leaves_the_turn_to_the_next()
    {
        using var gate = Gate();
        using var holder = await HoldWriterLockAsync();
        try
        {
            var entering = gate.EnterAsync(CancellationToken.None).AsTask();
            await Task.Delay(300);
            Assert.False(entering.IsCompleted);

            holder.Kill(entireProcessTree: true);
            using var turn = await entering.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_write_still_waiting_when_its_process_shuts_down_fails_instead_of_hanging()
    {
        var gate = Gate();
        using var holder = await HoldWriterLockAsync();
        try
        {
            var entering = gate.EnterAsync(CancellationToken.None).AsTask();
            await Task.Delay(300);
            Assert.False(entering.IsCompleted);

            gate.Dispose();
            holder.Kill(entireProcessTree: true);
            await Assert.ThrowsAsync<ObjectDisposedException>(() => entering.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_write_in_flight_when_its_process_shuts_down_leaves_without_an_error_and_frees_the_file()
    {
        var gate = Gate();
        var turn = await gate.EnterAsync(CancellationToken.None);
        gate.Dispose();
        turn.Dispose();

        using var next = Gate();
        using var nextTurn = await next.EnterAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Another process in the middle of a write: util-linux's flock(1) holding the same lock on the same file.</summary>
    private async Task<Process> HoldWriterLockAsync()
    {
        Assert.True(OperatingSystem.IsLinux(), "processes take turns at a SQLite file on Linux only");
        var holder = Process.Start(new ProcessStartInfo("flock", [DatabasePath + "-writer", "sh", "-c", "echo locked; exec sleep 600"])
        {
            RedirectStandardOutput = true,
        })!;
        Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync());
        return holder;
    }

    private SerializedWriteGate Gate() =>
        new(_services.GetRequiredService<WeChatMetrics>(), TimeProvider.System, SqliteProcessTurn.For(DatabasePath));

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    private static async Task WriteAsync(SerializedWriteGate gate, SqliteConnection connection, string writer)
    {
        using var turn = await gate.EnterAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        using var transaction = connection.BeginTransaction(deferred: false);
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO writes(writer) VALUES ($writer)";
        insert.Parameters.AddWithValue("$writer", writer);
        insert.ExecuteNonQuery();
        // A unit of work holds its turn for a while (a worker's: milliseconds). A bare insert here took
        // microseconds, so the writer whose turn it was could make a dozen writes before the scheduler ran
        // the other's waiting thread, and the test measured the scheduler rather than the turns.
        await Task.Delay(TimeSpan.FromMilliseconds(2));
        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<string> Query(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
