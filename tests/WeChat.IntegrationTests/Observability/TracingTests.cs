using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Observability;

/// <summary>One trace runs from WeChat's callback through the bus and the handler to the reply sent to WeChat.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly TempDatabase _database = new();
    private readonly SimulatedAccountOptions _account = TestAccounts.Create("trc");
    private RunningSimulator _simulator = null!;
    private WebApplicationFactory<Program> _api = null!;

    public async Task InitializeAsync()
    {
        var forward = new ForwardingHandler();
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Accounts = [_account] }, callbackHandler: forward);
        var settings = TestAccounts.Settings([_account]);
        settings["WeChat:ApiBaseUrl"] = _simulator.BaseAddress.ToString();
        settings["Database:Provider"] = "Sqlite";
        settings["ConnectionStrings:WeChat"] = _database.ConnectionString;
        settings["Messaging:Transport"] = "InMemory";
        settings["Observability:Tracing"] = "true";
        _api = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Testing");
            foreach (var (key, value) in settings)
            {
                host.UseSetting(key, value);
            }

            host.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new CollectingProcessor(_spans))));
        });
        forward.InnerHandler = _api.Server.CreateHandler();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _simulator.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task The_callback_the_consume_the_handler_and_the_reply_share_one_trace()
    {
        await _simulator.Sender.SendAsync(_account.AppId, Push.Text(_account.OriginalId, "oTraced00000001", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "帮助"));

        // Activity listeners are process-wide: other tests' spans arrive too, so follow this callback's trace only.
        // A span is collected when it ends, and the consume span ends after the reply it encloses: wait for all of them.
        await PipelineHarness.WaitUntilAsync(
            () => CallbackTrace() is { } trace
                && trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer)
                && trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer)
                && trace.Any(s => s.Source.Name == "WeChat.Platform" && s.DisplayName == "HandleTextMessage")
                && trace.Any(IsReplySend),
            TimeSpan.FromSeconds(30), "the publish, consume, handler and reply spans in the callback's trace");
    }

    private List<Activity>? CallbackTrace()
    {
        var server = _spans.FirstOrDefault(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path")?.ToString() == $"/wechat/{_account.AppId}");
        return server is null ? null : [.. _spans.Where(s => s.TraceId == server.TraceId)];
    }

    private static bool IsReplySend(Activity span) =>
        span.Kind == ActivityKind.Client && span.GetTagItem("url.full")?.ToString()?.Contains("custom/send", StringComparison.Ordinal) == true;

    private sealed class ForwardingHandler : DelegatingHandler;

    private sealed class CollectingProcessor(ConcurrentQueue<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => spans.Enqueue(data);
    }
}
