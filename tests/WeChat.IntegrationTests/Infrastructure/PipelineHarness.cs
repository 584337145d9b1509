using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WeChat.Infrastructure.Persistence;
using WeChat.Simulator;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Platform;

namespace WeChat.IntegrationTests.Infrastructure;

/// <summary>All pipeline tests share the one local broker; they run one at a time (one even stops it).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedBroker
{
    public const string Name = "RabbitMQ";
}

/// <summary>
/// The production topology for one test: the simulator on a loopback port, the API (in-process,
/// RabbitMQ transport), N real worker processes, one SQLite file and a queue of its own on the local
/// RabbitMQ. Callbacks go from the simulator to the API exactly as WeChat sends them.
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    private readonly TempDatabase _database = new();
    private readonly List<WorkerProcess> _workers = [];
    private PipelineApiFactory? _api;

    private PipelineHarness(SimulatedAccountOptions account) => Account = account;

    public const string ApiKey = "integration-test-key-0123456789";

    public SimulatedAccountOptions Account { get; }

    public RunningSimulator Simulator { get; private set; } = null!;

    public Dictionary<string, string?> Settings { get; private set; } = [];

    public IReadOnlyList<WorkerProcess> Workers => _workers;

    public WebApplicationFactory<Program> Api => _api!;

    /// <summary>The in-process API's last <paramref name="count"/> warnings and errors, a line each.</summary>
    public string ApiWarnings(int count) => string.Join('\n', _api!.Log.GetSnapshot().TakeLast(count).Select(record =>
        $"{record.Timestamp:HH:mm:ss.fff} {record.Level} {record.Category}[{record.Id.Id}] {record.Message}{(record.Exception is { } ex ? $" — {ex.GetType().Name}: {ex.Message}" : string.Empty)}"));

    public static async Task<PipelineHarness> StartAsync(int workers = 1, CallbackMode mode = CallbackMode.Plaintext, IDictionary<string, string?>? settings = null, params SimulatedAccountOptions[] moreAccounts)
    {
        if (!Broker.IsListening())
        {
            throw new InvalidOperationException("RabbitMQ is not listening on localhost:5672; run the tests with scripts/test.sh, which starts it.");
        }

        var harness = new PipelineHarness(TestAccounts.Create("pipe", mode));
        var accounts = new[] { harness.Account }.Concat(moreAccounts).ToList();
        var forward = new LateBoundHandler();
        harness.Simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = accounts, TemplateJobFinishDelayMilliseconds = 100 }, callbackHandler: forward);

        harness.Settings = TestAccounts.Settings(accounts);
        harness.Settings["WeChat:ApiBaseUrl"] = harness.Simulator.BaseAddress.ToString();
        harness.Settings["Database:Provider"] = "Sqlite";
        harness.Settings["ConnectionStrings:WeChat"] = harness._database.ConnectionString;
        harness.Settings["ConnectionStrings:RabbitMq"] = Broker.ConnectionString;
        harness.Settings["Messaging:Transport"] = "RabbitMq";
        harness.Settings["Messaging:InboundQueueName"] = $"wechat-inbound-test-{Guid.NewGuid():N}";
        harness.Settings["Outbox:LeaseSeconds"] = "8"; // a send may take four fifths of it (OutboxSender), more than the 5 s attempt timeout
        harness.Settings["Outbox:SweepIntervalMilliseconds"] = "200";
        harness.Settings["Api:Keys:0"] = ApiKey;
        harness.Settings["OAuth:AllowedReturnHosts:0"] = "app.example.com";
        harness.Settings["WeChat:OAuthAuthorizeUrl"] = new Uri(harness.Simulator.BaseAddress, "connect/oauth2/authorize").ToString();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            harness.Settings[key] = value;
        }

        try
        {
            harness._api = new PipelineApiFactory(harness.Settings);
            forward.InnerHandler = harness._api.Server.CreateHandler();
            for (var i = 0; i < workers; i++)
            {
                await harness.StartWorkerAsync();
            }

            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    public async Task<WorkerProcess> StartWorkerAsync()
    {
        var worker = await WorkerProcess.StartAsync(Settings);
        _workers.Add(worker);
        return worker;
    }

    public long Now => Simulator.Platform.Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>A text from a follower, delivered by the simulator like WeChat (the window opens).</summary>
    public Task<IReadOnlyList<CallbackAttempt>> SendAsync(XElement push, int deliveries = 1, CallbackMode? mode = null) =>
        Simulator.Sender.SendAsync(Account.AppId, push, deliveries, mode: mode);

    public XElement Text(string follower, string content, long? msgId = null) => Push.Text(Account.OriginalId, follower, Now, content, msgId);

    /// <summary>Customer-service messages the platform delivered to <paramref name="follower"/>.</summary>
    public IReadOnlyList<RecordedCall> RepliesTo(string follower) =>
        Simulator.Platform.Calls.Snapshot(call => call.Delivered && call.Path.EndsWith("custom/send", StringComparison.Ordinal)
            && call.Json()?["touser"]?.GetValue<string>() == follower);

    public static string ContentOf(RecordedCall call) => call.Json()!["text"]!["content"]!.GetValue<string>();

    public IReadOnlyList<RecordedCall> AllReplies() =>
        Simulator.Platform.Calls.Snapshot(call => call.Delivered && call.Path.EndsWith("custom/send", StringComparison.Ordinal));

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within, string what, Func<string>? diagnostics = null)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {within} waiting for: {what}. {diagnostics?.Invoke()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>What the simulator saw, per path and errcode: the first thing to read when a pipeline test fails.</summary>
    public string CallSummary() => string.Join(", ", Simulator.Platform.Calls.Snapshot()
        .GroupBy(call => $"{call.Path} {call.HttpStatus}/{call.ErrorCode}{(call.Delivered ? " delivered" : string.Empty)}")
        .Select(group => $"{group.Key}: {group.Count()}"));

    /// <summary>
    /// Where the work is when a pipeline test times out: the calls the simulator saw, the database's
    /// outbox/inbox/relay rows, the queues' depths and the workers' last log lines.
    /// </summary>
    public string StateReport()
    {
        var report = new StringBuilder().AppendLine().Append("simulator: ").AppendLine(CallSummary());
        try
        {
            using var db = Api.Services.GetRequiredService<IDbContextFactory<WeChatDbContext>>().CreateDbContext();
            var outbox = db.OutboxMessages.AsNoTracking().GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() }).ToList();
            report.Append("outbox: ").AppendLine(string.Join(", ", outbox.Select(o => $"{o.Key} {o.Count}")))
                .Append("inbox entries: ").Append(db.InboxEntries.Count())
                .Append(", stored for relay: ").Append(db.PendingInboundMessages.Count())
                .Append(" (leased: ").Append(db.PendingInboundMessages.Count(m => m.LeaseUntil != null))
                .Append(", most attempts: ").Append(db.PendingInboundMessages.Max(m => (int?)m.Attempts) ?? 0).AppendLine(")");
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Data.Common.DbException)
        {
            report.Append("database: ").AppendLine(ex.Message);
        }

        if (_api is not null)
        {
            report.AppendLine("api, last warnings:").AppendLine(ApiWarnings(40));
        }

        report.Append("queues: ").AppendLine(Broker.QueueDepths(Settings.GetValueOrDefault("Messaging:InboundQueueName") ?? string.Empty));
        foreach (var (worker, index) in _workers.Select((w, i) => (w, i)))
        {
            var lines = worker.Output.Split('\n');
            report.Append("worker ").Append(index).Append(worker.HasExited ? " (exited)" : string.Empty).AppendLine(", last lines:")
                .AppendLine(string.Join('\n', lines.TakeLast(40)));
        }

        return report.ToString();
    }

    /// <summary>Exactly one reply per follower; otherwise fails with who got how many, when, and the state report.</summary>
    public void AssertOneReplyEach(IEnumerable<string> followers)
    {
        var wrong = followers.Select(f => (Follower: f, Calls: RepliesTo(f))).Where(r => r.Calls.Count != 1).ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong.Select(r => $"{r.Follower}: {r.Calls.Count} replies, calls {string.Join(", ", r.Calls.Select(c => $"#{c.Sequence} at {c.At:HH:mm:ss.fff}"))}")) + StateReport());
    }

    /// <summary>Gives stragglers (a duplicate that should not come) time to show up.</summary>
    public static Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(2));

    /// <summary>An HTTP client for the internal API, with the key.</summary>
    public HttpClient InternalApi()
    {
        var client = Api.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public string WorkerOutput() => string.Join("\n----\n", _workers.Select(w => w.Output));

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        await Simulator.DisposeAsync();
        _database.Dispose();
        if (Settings.GetValueOrDefault("Messaging:InboundQueueName") is { } queue && Broker.IsListening())
        {
            await Broker.DeleteQueueAsync(queue);
        }
    }

    private sealed class LateBoundHandler : DelegatingHandler;

    private sealed class PipelineApiFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        public FakeLogCollector Log { get; } = FakeLogCollector.Create(new FakeLogCollectorOptions
        {
            FilteredLevels = { LogLevel.Warning, LogLevel.Error, LogLevel.Critical },
        });

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(Log)));
            builder.ConfigureServices(services => services.UseSqlServerLikeRetries());
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
