using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Control;
using WeChat.Simulator.Platform;

namespace WeChat.Simulator;

/// <summary>A simulator running in this process: its address, its platform state and its callback sender.</summary>
public sealed class RunningSimulator(WebApplication app, Uri baseAddress) : IAsyncDisposable
{
    public Uri BaseAddress { get; } = baseAddress;

    public SimulatedPlatform Platform { get; } = app.Services.GetRequiredService<SimulatedPlatform>();

    public CallbackSender Sender { get; } = app.Services.GetRequiredService<CallbackSender>();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>Builds the simulator web app, for the process (<see cref="SimulatorProgram"/>) and for tests.</summary>
public static class SimulatorHost
{
    public const string DefaultUrl = "http://localhost:5180";

    /// <summary>
    /// Starts a simulator on a free loopback port. <paramref name="callbackHandler"/> lets the platform's
    /// pushes reach an in-memory test server; by default they go over HTTP to each account's CallbackUrl.
    /// </summary>
    public static async Task<RunningSimulator> StartAsync(SimulatorOptions options, TimeProvider? time = null, HttpMessageHandler? callbackHandler = null)
    {
        var app = Build([], options, time, callbackHandler, "http://127.0.0.1:0");
        await app.StartAsync();
        var address = app.Urls.Select(url => new Uri(url)).First();
        return new RunningSimulator(app, address);
    }

    public static WebApplication Build(string[] args, SimulatorOptions? options = null, TimeProvider? time = null, HttpMessageHandler? callbackHandler = null, string? url = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (url is not null)
        {
            builder.WebHost.UseUrls(url);
        }
        else if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        options ??= builder.Configuration.GetSection(SimulatorOptions.SectionName).Get<SimulatorOptions>() ?? new SimulatorOptions();
        if (options.Problems() is { Count: > 0 } problems)
        {
            // At start-up, naming each key: a simulator that half works makes every test against it lie.
            throw new InvalidOperationException("The simulator's configuration is invalid:" + string.Concat(problems.Select(problem => "\n - " + problem)));
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton(provider => new SimulatedPlatform(options, provider.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(provider => new CallbackSender(
            provider.GetRequiredService<SimulatedPlatform>(),
            // WeChat gives a callback 5 seconds.
            new HttpClient(callbackHandler ?? new SocketsHttpHandler(), disposeHandler: callbackHandler is null) { Timeout = TimeSpan.FromSeconds(5) }));
        builder.Services.AddHostedService<PlatformPusher>();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

        var app = builder.Build();
        app.MapFakeWeChatApi();
        app.MapSimulatorControl();
        app.MapGet("/", () => Results.Text("WeChat simulator: fake API at /cgi-bin, /sns, /customservice; control at /_sim (see README)."));
        app.MapGet("/health/live", () => Results.Text("Healthy"));
        return app;
    }
}

/// <summary>Delivers the pushes the platform sends on its own (job results, session events) like WeChat: retried until acknowledged.</summary>
internal sealed partial class PlatformPusher(SimulatedPlatform platform, CallbackSender sender, ILogger<PlatformPusher> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        platform.Pushed += OnPushed;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        platform.Pushed -= OnPushed;
        await _stopping.CancelAsync();
    }

    public void Dispose() => _stopping.Dispose();

    private void OnPushed(PlatformPush push) => _ = DeliverAsync(push);

    private async Task DeliverAsync(PlatformPush push)
    {
        try
        {
            if (push.Delay > TimeSpan.Zero)
            {
                await Task.Delay(push.Delay, _stopping.Token);
            }

            if (platform.FindAccount(push.AppId)?.CallbackUrl is null)
            {
                return;
            }

            var attempts = await sender.SendAsync(push.AppId, push.Xml, retryUntilAcknowledged: true, cancellationToken: _stopping.Token);
            LogPushed(logger, push.Xml.Element("Event")?.Value, push.AppId, attempts.Count, attempts[^1].StatusCode);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Nobody awaits a push: whatever ended it (a timeout included) is logged here or nowhere.
            LogPushFailed(logger, ex, push.AppId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pushed {Event} to {AppId}: {Attempts} attempt(s), last HTTP {Status}")]
    private static partial void LogPushed(ILogger logger, string? @event, string appId, int attempts, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push to {AppId} failed")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string appId);
}
