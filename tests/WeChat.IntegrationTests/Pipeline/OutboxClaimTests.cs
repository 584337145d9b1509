using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WeChat.Application.Abstractions;
using WeChat.Application.Outbox;
using WeChat.Domain.Outbox;
using WeChat.Domain.Replies;
using WeChat.Infrastructure.Outbox;
using WeChat.Infrastructure.Persistence;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Platform;

namespace WeChat.IntegrationTests.Pipeline;

/// <summary>
/// The claim is what keeps the fast path, the sweeper and other workers from sending one row twice.
/// Claims are written in batches, so the same row can be asked for several times in one batch and
/// by two processes at once.
/// </summary>
public sealed class OutboxClaimTests : IAsyncLifetime
{
    private const string CustomSend = "/cgi-bin/message/custom/send";
    private readonly SimulatedAccountOptions _account = TestAccounts.Create("claim");
    private readonly TempDatabase _database = new();
    private RunningSimulator _simulator = null!;
    private WeChatClientHost _first = null!;
    private WeChatClientHost _second = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = [_account] });
        _first = await WeChatClientHost.StartAsync(_simulator.BaseAddress, _database.Path, [_account]);
        _second = await WeChatClientHost.StartAsync(_simulator.BaseAddress, _database.Path, [_account]);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        await _simulator.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task Rows_asked_for_many_times_by_two_processes_at_once_are_each_sent_exactly_once()
    {
        var rows = await WritePendingRepliesAsync(_first, 40);
        var senders = new[] { _first.Get<OutboxSender>(), _second.Get<OutboxSender>() };

        var claims = await Task.WhenAll(
            from id in rows.Keys
            from sender in senders
            from _ in Enumerable.Range(0, 3)
            select Task.Run(() => sender.SendAsync(id, CancellationToken.None)));

        Assert.Equal(rows.Count, claims.Count(claimed => claimed));
        var sends = _simulator.Platform.Calls.Snapshot().Where(call => call.Path == CustomSend).ToList();
        Assert.Equal(rows.Count, sends.Count);
        Assert.Equal(rows.Values.Order(StringComparer.Ordinal), sends.Select(call => call.Json()!["touser"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        await using var scope = _first.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
        var ids = rows.Keys.ToList();
        var stored = await db.OutboxMessages.AsNoTracking().Where(m => ids.Contains(m.Id)).ToListAsync();
        Assert.All(stored, row =>
        {
            Assert.Equal(OutboxStatus.Sent, row.Status);
            Assert.Equal(1, row.Attempts);
            Assert.Null(row.LeaseUntil);
            Assert.NotNull(row.CompletedAt);
        });
    }

    [Fact]
    public async Task A_send_slower_than_its_lease_ends_before_the_lease_does_and_records_its_own_outcome()
    {
        // A sender of its own with a 2 s lease, on a database of its own.
        using var database = new TempDatabase();
        await using var sender = await WeChatClientHost.StartAsync(_simulator.BaseAddress, database.Path, [_account], extraSettings: new Dictionary<string, string?>
        {
            ["Outbox:LeaseSeconds"] = "2",
            ["WeChat:ApiAttemptTimeoutSeconds"] = "10",
        });
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = CustomSend, LatencyMilliseconds = 5000 });

        // Without the limit it would wait out the call, the sweeper taking the row back meanwhile.
        var id = (await WritePendingRepliesAsync(sender, 1)).Keys.Single();
        Assert.True(await sender.Get<OutboxSender>().SendAsync(id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        await using var db = await sender.Get<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync();
        var row = await db.OutboxMessages.AsNoTracking().SingleAsync(m => m.Id == id);
        Assert.Equal(OutboxStatus.Unconfirmed, row.Status);
        Assert.StartsWith("no outcome within 1.6 s", row.LastError);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task An_outcome_that_lands_after_another_sender_has_claimed_the_row_leaves_that_claim_alone()
    {
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = CustomSend, LatencyMilliseconds = 1500 });
        var id = (await WritePendingRepliesAsync(_first, 1)).Keys.Single();
        var sending = _first.Get<OutboxSender>().SendAsync(id, CancellationToken.None);

        // While the call is out, the row changes hands as if its lease had run out: the sweeper took it
        // back and another sender claimed it for a second attempt.
        await using var db = await _first.Get<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await db.OutboxMessages.AsNoTracking().Where(m => m.Id == id).Select(m => m.Status).SingleAsync() != OutboxStatus.Sending)
        {
            Assert.True(DateTime.UtcNow < deadline, "the row was never claimed");
            await Task.Delay(20);
        }

        Guid? newerClaim = Guid.NewGuid();
        var newerLease = DateTimeOffset.UtcNow.AddMinutes(1);
        await db.OutboxMessages.Where(m => m.Id == id).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.ClaimToken, newerClaim)
            .SetProperty(m => m.LeaseUntil, newerLease)
            .SetProperty(m => m.Attempts, 2));

        Assert.True(await sending.WaitAsync(TimeSpan.FromSeconds(30)));
        var row = await db.OutboxMessages.AsNoTracking().SingleAsync(m => m.Id == id);
        Assert.Equal(OutboxStatus.Sending, row.Status);
        Assert.Equal(newerClaim, row.ClaimToken);
        Assert.Null(row.CompletedAt);
        Assert.Single(_simulator.Platform.Calls.Snapshot(), call => call.Path == CustomSend);
    }

    [Fact]
    public async Task An_outcome_whose_first_write_fails_is_written_on_a_later_try()
    {
        using var database = new TempDatabase();
        var outcomeWrites = new FailingCommands("UPDATE", "\"CompletedAt\"");
        await using var sender = await StartSenderAsync(database, outcomeWrites);
        var id = (await WritePendingRepliesAsync(sender, 1)).Keys.Single();

        Assert.True(await sender.Get<OutboxSender>().SendAsync(id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, outcomeWrites.Matched);
        var row = await ReadAsync(sender, id);
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.Null(row.LeaseUntil);
        Assert.Single(_simulator.Platform.Calls.Snapshot(), call => call.Path == CustomSend);
    }

    [Fact]
    public async Task A_row_the_sweeper_cannot_read_is_left_as_it_was()
    {
        using var database = new TempDatabase();
        var rowReads = FailingCommands.FirstRowRead();
        await using var sender = await StartSenderAsync(database, rowReads);
        var id = (await WritePendingRepliesAsync(sender, 1)).Keys.Single();

        // The sweeper's path: it knows only the id. A row claimed and then unreadable was left Sending,
        // to count as Unconfirmed once its lease ran out, though it never left.
        await Assert.ThrowsAsync<InvalidOperationException>(() => sender.Get<OutboxSender>().SendAsync(id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        var row = await ReadAsync(sender, id);
        Assert.Equal(OutboxStatus.Pending, row.Status);
        Assert.Equal(0, row.Attempts);
        Assert.Null(row.LeaseUntil);
        Assert.DoesNotContain(_simulator.Platform.Calls.Snapshot(), call => call.Path == CustomSend);

        // The next round sends it.
        Assert.True(await sender.Get<OutboxSender>().SendAsync(id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(OutboxStatus.Sent, (await ReadAsync(sender, id)).Status);
    }

    [Fact]
    public async Task A_row_that_cannot_be_read_does_not_end_the_sweep_for_the_rows_behind_it()
    {
        using var database = new TempDatabase();
        var rowReads = FailingCommands.FirstRowRead();
        await using var sender = await StartSenderAsync(database, rowReads, new Dictionary<string, string?> { ["Outbox:MaxConcurrentSends"] = "1" });
        var rows = await WritePendingRepliesAsync(sender, 3);

        await ActivatorUtilities.CreateInstance<OutboxSweeper>(sender.Services).SweepAsync(CancellationToken.None);

        var statuses = await Task.WhenAll(rows.Keys.Select(async id => (await ReadAsync(sender, id)).Status));
        Assert.Equal([OutboxStatus.Pending, OutboxStatus.Sent, OutboxStatus.Sent], statuses.Order());
    }

    [Fact]
    public async Task Rows_claimed_by_a_batch_that_then_fails_are_given_back_unsent()
    {
        using var database = new TempDatabase();
        // The read that tells a batch which of its rows it won, asked only when it did not win them all.
        var claimReads = new FailingCommands("SELECT", "\"ClaimToken\" =");
        await using var sender = await StartSenderAsync(database, claimReads);
        var rows = (await WritePendingRepliesAsync(sender, 2)).Keys.ToList();
        var outbox = sender.Get<OutboxSender>();
        Assert.True(await outbox.SendAsync(rows[1], CancellationToken.None));

        // Both claims in one batch: the writer waits for the gate the test holds while they queue up.
        Task<bool> due, done;
        using (await sender.Get<IDatabaseWriteGate>().EnterAsync(CancellationToken.None))
        {
            due = outbox.SendAsync(rows[0], CancellationToken.None);
            done = outbox.SendAsync(rows[1], CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => due.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => done.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, claimReads.Matched);
        var row = await ReadAsync(sender, rows[0]);
        Assert.Equal(OutboxStatus.Pending, row.Status);
        Assert.Equal(0, row.Attempts);
        Assert.Null(row.LeaseUntil);
        Assert.Single(_simulator.Platform.Calls.Snapshot(), call => call.Path == CustomSend); // the one sent first

        Assert.True(await outbox.SendAsync(rows[0], CancellationToken.None));
        Assert.Equal(OutboxStatus.Sent, (await ReadAsync(sender, rows[0])).Status);
    }

    [Fact]
    public async Task An_outcome_nobody_waits_for_is_written_by_shutdown_at_the_latest()
    {
        using var database = new TempDatabase();
        var sender = await WeChatClientHost.StartAsync(_simulator.BaseAddress, database.Path, [_account]);
        var id = (await WritePendingRepliesAsync(sender, 1)).Keys.Single();

        // As the fast path sends: the outcome lingers to share its statement with others.
        Assert.True(await sender.Get<OutboxSender>().SendRecordingLaterAsync(id, CancellationToken.None));
        await sender.DisposeAsync();

        await using var reader = await WeChatClientHost.StartAsync(_simulator.BaseAddress, database.Path, [_account]);
        var row = await ReadAsync(reader, id);
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.Null(row.LeaseUntil);
        Assert.Single(_simulator.Platform.Calls.Snapshot(), call => call.Path == CustomSend);
    }

    [Fact]
    public async Task A_profile_batch_writes_its_outcomes_together()
    {
        using var database = new TempDatabase();
        var gate = new CountingWriteGate();
        await using var sender = await WeChatClientHost.StartAsync(_simulator.BaseAddress, database.Path, [_account], configureServices: gate.Wrap);
        var followers = (await WritePendingRepliesAsync(sender, 30)).Values;
        await using (var scope = sender.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
            var now = DateTimeOffset.UtcNow;
            db.OutboxMessages.AddRange(followers.Select(follower => new OutboxMessage
            {
                Id = Guid.CreateVersion7(now),
                AppId = _account.AppId,
                Kind = OutboxKind.RefreshFollowerProfile,
                ToUser = follower,
                Payload = "{}",
                CreatedAt = now,
                NextAttemptAt = now,
            }));
            await db.SaveChangesAsync();
        }

        // WeChat busy: every row of the batch gets an outcome to write (Pending, to be retried).
        _simulator.Platform.Faults.Add(new FaultRule { PathContains = "user/info/batchget", ErrorBurst = 100 });
        var entered = gate.Entered;
        Assert.Equal(30, await sender.Get<OutboxSender>().SendProfileBatchesAsync(CancellationToken.None));

        // A turn at the write gate for the claim, one for the outcomes, and the access token's own
        // (fetched and stored for the call): awaited one by one, each outcome would have had a turn of
        // its own after waiting out the linger.
        Assert.InRange(gate.Entered - entered, 2, 5);
        await using var reader = await sender.Get<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync();
        var rows = await reader.OutboxMessages.AsNoTracking().Where(m => m.Kind == OutboxKind.RefreshFollowerProfile).ToListAsync();
        Assert.All(rows, row => Assert.Equal((OutboxStatus.Pending, 1, (DateTimeOffset?)null), (row.Status, row.Attempts, row.LeaseUntil)));
    }

    private Task<WeChatClientHost> StartSenderAsync(TempDatabase database, FailingCommands failing, IDictionary<string, string?>? settings = null) =>
        WeChatClientHost.StartAsync(_simulator.BaseAddress, database.Path, [_account], extraSettings: settings, configureServices: services =>
            services.ConfigureDbContext<SqliteWeChatDbContext>(db => db.AddInterceptors(failing)));

    private static async Task<OutboxMessage> ReadAsync(WeChatClientHost host, Guid id)
    {
        await using var db = await host.Get<IDbContextFactory<WeChatDbContext>>().CreateDbContextAsync();
        return await db.OutboxMessages.AsNoTracking().SingleAsync(m => m.Id == id);
    }

    /// <summary>Counts the turns taken at the platform's write gate.</summary>
    private sealed class CountingWriteGate : IDatabaseWriteGate
    {
        private IDatabaseWriteGate _inner = null!;
        private int _entered;

        public int Entered => Volatile.Read(ref _entered);

        public void Wrap(IServiceCollection services)
        {
            var platformGate = services.Last(service => service.ServiceType == typeof(IDatabaseWriteGate));
            services.Remove(platformGate);
            services.AddSingleton<IDatabaseWriteGate>(provider =>
            {
                _inner = (IDatabaseWriteGate)platformGate.ImplementationFactory!(provider);
                return this;
            });
        }

        public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _entered);
            return _inner.EnterAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Fails the first statement of a kind (<paramref name="verb"/>) that names <paramref name="fragment"/>,
    /// as a database that went away for a moment would; later ones go through.
    /// </summary>
    private sealed class FailingCommands(string verb, string fragment) : DbCommandInterceptor
    {
        private int _matched;

        /// <summary>The first read of a whole outbox row (only those select its payload).</summary>
        public static FailingCommands FirstRowRead() => new("SELECT", "\"Payload\"");

        /// <summary>Matching statements seen: the failed ones and those let through after them.</summary>
        public int Matched => Volatile.Read(ref _matched);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            FailIfMatching(command);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            FailIfMatching(command);
            return ValueTask.FromResult(result);
        }

        private void FailIfMatching(DbCommand command)
        {
            var sql = command.CommandText.TrimStart();
            if (sql.StartsWith(verb, StringComparison.Ordinal) && sql.Contains(fragment, StringComparison.Ordinal) && Interlocked.Increment(ref _matched) == 1)
            {
                throw new InvalidOperationException("the database went away for a moment");
            }
        }
    }

    /// <summary>Pending replies to followers whose service window is open, committed; id → follower.</summary>
    private async Task<Dictionary<Guid, string>> WritePendingRepliesAsync(WeChatClientHost host, int count)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WeChatDbContext>();
        var rows = new Dictionary<Guid, string>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var follower = $"oClaim{i:D9}";
            _simulator.Platform.RecordInteraction(_account.AppId, Push.Text(_account.OriginalId, follower, now.ToUnixTimeSeconds(), "hello"));
            var message = new OutboxMessage
            {
                Id = Guid.CreateVersion7(now),
                AppId = _account.AppId,
                Kind = OutboxKind.CustomerServiceMessage,
                ToUser = follower,
                Payload = OutboxJson.Serialize<ReplyContent>(new TextReply($"reply {i}")),
                CreatedAt = now,
                NextAttemptAt = now,
            };
            db.OutboxMessages.Add(message);
            rows[message.Id] = follower;
        }

        await db.SaveChangesAsync();
        return rows;
    }
}
