using System.Text.Json;
using System.Text.Json.Nodes;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Platform;

namespace WeChat.Simulator.Chat;

/// <summary>The WeChat side of a chat: where the follower's lines go and where the platform's replies arrive.</summary>
internal interface IChatPlatform : IAsyncDisposable
{
    string AppId { get; }

    string Description { get; }

    /// <summary>Delivers a push as WeChat does; null when the platform acknowledged it, else what it answered.</summary>
    Task<string?> SendAsync(PushRequest push);

    /// <summary>The serving agent closes the follower's session; false when nobody served them.</summary>
    Task<bool> CloseSessionAsync(string openId);
}

/// <summary>Runs the fake WeChat API in this process: the platform must be configured to call it.</summary>
internal sealed class InProcessChatPlatform(WebApplication app, SimulatedAccountOptions account) : IChatPlatform
{
    private SimulatedPlatform Platform => app.Services.GetRequiredService<SimulatedPlatform>();

    public string AppId => account.AppId;

    public string Description =>
        $"WeChat simulator on {string.Join(", ", app.Urls)}; messages go to {account.CallbackUrl} ({account.CallbackMode} mode). " +
        "Start the platform first: dotnet run --project src/WeChat.Api";

    public static async Task<InProcessChatPlatform> StartAsync(string[] args, string? appId, Action<RecordedCall> onCall)
    {
        var app = SimulatorHost.Build(["--Logging:LogLevel:Default=Warning", .. args.Where(a => a.StartsWith("--urls", StringComparison.Ordinal))]);
        await app.StartAsync();
        var platform = app.Services.GetRequiredService<SimulatedPlatform>();
        var account = (appId is null ? (platform.Accounts.Count > 0 ? platform.Accounts[0] : null) : platform.FindAccount(appId))
            ?? throw new InvalidOperationException("No simulator account configured (Simulator:Accounts in tools/WeChat.Simulator/appsettings.json).");
        platform.Calls.Recorded += onCall;
        return new InProcessChatPlatform(app, account);
    }

    public async Task<string?> SendAsync(PushRequest push)
    {
        var xml = push.Build(account.OriginalId, account.AppId, Platform.Time.GetUtcNow().ToUnixTimeSeconds());
        var attempts = await app.Services.GetRequiredService<CallbackSender>().SendAsync(account.AppId, xml, retryUntilAcknowledged: true);
        return attempts[^1].Acknowledged ? null : $"the platform answered {attempts[^1].StatusCode}: {attempts[^1].Body}";
    }

    public Task<bool> CloseSessionAsync(string openId) => Task.FromResult(Platform.CloseSession(account.AppId, null, openId).ErrorCode == 0);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>
/// Talks to a simulator that already runs (the process stack's, or a container's) through its control
/// API: lines are sent with <c>POST /_sim/accounts/{appId}/callbacks</c>, replies are read from
/// <c>GET /_sim/calls</c>.
/// </summary>
internal sealed class AttachedChatPlatform : IChatPlatform
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private Task _polling = Task.CompletedTask;

    private AttachedChatPlatform(HttpClient http, string appId, string callbackUrl)
    {
        _http = http;
        AppId = appId;
        Description = $"attached to the simulator at {http.BaseAddress}; messages go to {callbackUrl}";
    }

    public string AppId { get; }

    public string Description { get; }

    public static async Task<AttachedChatPlatform> ConnectAsync(Uri simulator, string? appId, string openId, Action<RecordedCall> onCall)
    {
        var http = new HttpClient { BaseAddress = simulator, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var accounts = await http.GetFromJsonAsync<JsonArray>("_sim/accounts", Json) ?? [];
            var account = accounts.FirstOrDefault(a => appId is null || a?["appId"]?.GetValue<string>() == appId)
                ?? throw new InvalidOperationException($"The simulator at {simulator} has no account {appId}.");
            var platform = new AttachedChatPlatform(http, account["appId"]!.GetValue<string>(), account["callbackUrl"]?.GetValue<string>() ?? "(no callback URL)");
            var since = (await http.GetFromJsonAsync<JsonObject>("_sim/calls/sequence", Json))!["sequence"]!.GetValue<long>();
            platform._polling = platform.PollAsync(openId, since, onCall);
            return platform;
        }
        catch (HttpRequestException ex)
        {
            http.Dispose();
            throw new InvalidOperationException($"No simulator answers at {simulator} ({ex.Message}). Start it first, e.g. scripts/stack.sh up.", ex);
        }
    }

    public async Task<string?> SendAsync(PushRequest push)
    {
        using var response = await _http.PostAsJsonAsync($"_sim/accounts/{AppId}/callbacks", push with { RetryUntilAcknowledged = true }, Json);
        if (!response.IsSuccessStatusCode)
        {
            return $"the simulator answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
        }

        var last = (await response.Content.ReadFromJsonAsync<JsonObject>(Json))?["attempts"]?.AsArray().LastOrDefault();
        return last?["statusCode"]?.GetValue<int>() == 200 ? null : $"the platform answered {last?["statusCode"]}: {last?["body"]}";
    }

    public async Task<bool> CloseSessionAsync(string openId)
    {
        using var response = await _http.PostAsync(new Uri($"_sim/accounts/{AppId}/kf-sessions/{openId}/close", UriKind.Relative), content: null);
        return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonObject>(Json))?["errcode"]?.GetValue<int>() == 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _polling;
        }
        finally
        {
            _stopping.Dispose();
            _http.Dispose();
        }
    }

    private async Task PollAsync(string openId, long since, Action<RecordedCall> onCall)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await Task.Delay(PollInterval, _stopping.Token);
                List<RecordedCall> calls;
                try
                {
                    calls = await _http.GetFromJsonAsync<List<RecordedCall>>($"_sim/calls?toUser={Uri.EscapeDataString(openId)}&since={since}", Json, _stopping.Token) ?? [];
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    // A timeout, a refused connection or an answer that is not the call list: say so and
                    // keep polling, or the chat would go on without ever showing a reply again.
                    Console.WriteLine($"(could not read the replies from the simulator: {ex.Message})");
                    continue;
                }

                foreach (var call in calls)
                {
                    since = Math.Max(since, call.Sequence);
                    try
                    {
                        onCall(call);
                    }
                    catch (Exception ex)
                    {
                        // One reply that cannot be shown (a body of an unexpected shape) must not stop the chat.
                        Console.WriteLine($"(could not show call {call.Sequence} {call.Path}: {ex.Message})");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }
}
