using System.Text.Json;
using WeChat.IntegrationTests.Infrastructure;

namespace WeChat.IntegrationTests.Observability;

/// <summary>
/// With tracing not recorded (the default without an OTLP endpoint), the worker's log lines still carry
/// the trace the API started: the W3C context crosses RabbitMQ.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class LogCorrelationTests
{
    [Fact]
    public async Task The_workers_log_lines_continue_the_trace_of_the_callback()
    {
        await using var pipeline = await PipelineHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Logging:Console:FormatterName"] = "json",
            ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
            ["Logging:LogLevel:WeChat.Application.Common.Behaviours"] = "Debug",
        });
        const string follower = "oLogCorrelated01";

        await pipeline.SendAsync(pipeline.Text(follower, "帮助"));
        await PipelineHarness.WaitUntilAsync(() => HandledLine(pipeline.WorkerOutput(), follower) is not null, TimeSpan.FromSeconds(60), "the handler's log line", pipeline.WorkerOutput);

        var scopes = HandledLine(pipeline.WorkerOutput(), follower)!.RootElement.GetProperty("Scopes").EnumerateArray().ToList();
        var activity = scopes.Single(scope => scope.TryGetProperty("TraceId", out _));
        Assert.Matches("^[0-9a-f]{32}$", activity.GetProperty("TraceId").GetString());
        Assert.NotEqual(new string('0', 32), activity.GetProperty("TraceId").GetString());
        // A parent span id means the consume continued a context that arrived with the message, i.e. the API's.
        Assert.NotEqual(new string('0', 16), activity.GetProperty("ParentId").GetString());
        Assert.Contains(scopes, scope => scope.TryGetProperty("AppId", out var appId) && appId.GetString() == pipeline.Account.AppId);
    }

    private static JsonDocument? HandledLine(string output, string follower) =>
        output.Split('\n')
            .Where(line => line.StartsWith('{') && line.Contains("\"EventId\":5001", StringComparison.Ordinal) && line.Contains(follower, StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line))
            .FirstOrDefault();
}
