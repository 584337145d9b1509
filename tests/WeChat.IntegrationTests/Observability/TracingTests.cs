using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using WeChat.IntegrationTests.Infrastructure;
using WeChat.Simulator.Callbacks;

namespace WeChat.IntegrationTests.Observability;

/// <summary>One trace runs from WeChat's callback through the bus and the handler to the reply sent to WeChat.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private EmbeddedPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await EmbeddedPlatform.StartAsync(
            TestAccounts.Create("trc"),
            new Dictionary<string, string?> { ["Observability:Tracing"] = "true" },
            services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new CollectingProcessor(_spans))));

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task The_callback_the_consume_the_handler_and_the_reply_share_one_trace()
    {
        await _platform.Simulator.Sender.SendAsync(_platform.Account.AppId, Push.Text(_platform.Account.OriginalId, "oTraced00000001", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "帮助"));

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
        var server = _spans.FirstOrDefault(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path")?.ToString() == $"/wechat/{_platform.Account.AppId}");
        return server is null ? null : [.. _spans.Where(s => s.TraceId == server.TraceId)];
    }

    private static bool IsReplySend(Activity span) =>
        span.Kind == ActivityKind.Client && span.GetTagItem("url.full")?.ToString()?.Contains("custom/send", StringComparison.Ordinal) == true;

    private sealed class CollectingProcessor(ConcurrentQueue<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => spans.Enqueue(data);
    }
}
