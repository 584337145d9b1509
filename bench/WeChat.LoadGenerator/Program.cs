using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WeChat.Simulator.Callbacks;

namespace WeChat.LoadGenerator;

/// <summary>
/// Posts N unique signed callbacks (plaintext, safe mode or both) to a platform URL, either with a
/// fixed number of connections (closed loop) or at a fixed offered rate (open loop, latency measured
/// from each request's scheduled time so a stall is not hidden), and reports ack latency, throughput
/// and non-2xx answers. With a simulator address it also reports end-to-end latency: callback sent →
/// customer-service reply received by the simulator.
/// </summary>
public static class Program
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> Main(string[] args)
    {
        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + "\n\n" + LoadOptions.Usage);
            return 2;
        }

        LoadResult result;
        try
        {
            result = await new LoadRun(options).RunAsync();
        }
        catch (CommandFailedException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }

        Console.WriteLine(result.Describe());
        if (options.JsonOutput is { } path)
        {
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result, Indented));
        }

        return result.NonSuccess == 0 ? 0 : 1;
    }
}

public sealed record LoadOptions(
    Uri Target,
    string AppId,
    string Token,
    string EncodingAesKey,
    string OriginalId,
    string Mode,
    int Count,
    int Followers,
    int Concurrency,
    int? Rate,
    Uri? Simulator,
    TimeSpan EndToEndTimeout,
    int? WatchPid,
    string? JsonOutput,
    string Label,
    string? FollowerPrefix,
    double? FaultAtSeconds,
    string? FaultCommand,
    double? RecoverAtSeconds,
    string? RecoverCommand,
    string? BeforeClockCommand)
{
    public const string Usage = """
        dotnet run -c Release --project bench/WeChat.LoadGenerator -- [options]
          --target URL         platform base URL (default http://127.0.0.1:5000)
          --app-id ID          account (default the demo account wxdemo1234567890)
          --token T --aes-key K --original-id gh_…   the account's console settings (demo defaults)
          --mode plain|aes|mixed   callback security mode (default mixed)
          --count N            callbacks to send (default 10000)
          --followers F        distinct followers sending them (default: one per callback, all new)
          --concurrency C      connections in closed-loop mode (default 64)
          --rate R             open loop: offer R callbacks per second instead
          --simulator URL      simulator that receives the replies: measures end-to-end latency
          --e2e-timeout S      seconds to wait for the last reply (default 120)
          --watch-pid PID      report this process's peak working set (the API)
          --json FILE          also write the result as JSON
          --label TEXT         name of this run in the report
          --follower-prefix P  OpenID prefix, to reuse the followers of an earlier run (default: new each run)
          --fault-at S --fault CMD       run shell command CMD S seconds into the run (a fault drill)
          --recover-at S --recover CMD   run CMD at S seconds (ends the fault); recovery time is reported
          --before-clock CMD   run shell command CMD, and wait for it, after the generator's warm-up and just
                               before the clock starts (to snapshot counters over the run alone)
        """;

    public static LoadOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            }

            values[args[i][2..]] = args[++i];
        }

        string Get(string key, string fallback) => values.GetValueOrDefault(key, fallback);
        int? Int(string key) => values.TryGetValue(key, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : null;
        var mode = Get("mode", "mixed");
        if (mode is not ("plain" or "aes" or "mixed"))
        {
            throw new ArgumentException("--mode must be plain, aes or mixed.");
        }

        return new LoadOptions(
            new Uri(Get("target", "http://127.0.0.1:5000")),
            Get("app-id", "wxdemo1234567890"),
            Get("token", "demotoken"),
            Get("aes-key", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"),
            Get("original-id", "gh_demo00000001"),
            mode,
            Int("count") ?? 10_000,
            Int("followers") ?? Int("count") ?? 10_000,
            Int("concurrency") ?? 64,
            Int("rate"),
            values.TryGetValue("simulator", out var simulator) ? new Uri(simulator) : null,
            TimeSpan.FromSeconds(Int("e2e-timeout") ?? 120),
            Int("watch-pid"),
            values.GetValueOrDefault("json"),
            Get("label", mode),
            values.GetValueOrDefault("follower-prefix"),
            values.TryGetValue("fault-at", out var faultAt) ? double.Parse(faultAt, CultureInfo.InvariantCulture) : null,
            values.GetValueOrDefault("fault"),
            values.TryGetValue("recover-at", out var recoverAt) ? double.Parse(recoverAt, CultureInfo.InvariantCulture) : null,
            values.GetValueOrDefault("recover"),
            values.GetValueOrDefault("before-clock"));
    }
}

public sealed record LoadResult(
    string Label,
    string Mode,
    int Sent,
    int NonSuccess,
    double DurationSeconds,
    double Throughput,
    double AckP50Ms,
    double AckP90Ms,
    double AckP99Ms,
    double AckMaxMs,
    int RepliesReceived,
    int DuplicateReplies,
    double? EndToEndP50Ms,
    double? EndToEndP99Ms,
    double? PeakWorkingSetMb,
    string Offered,
    double? ProcessingThroughput,
    int Accepted,
    int AcceptedWithoutReply,
    double? RecoverySeconds,
    string? SlowReplies)
{
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{Label}: {Sent} callbacks ({Mode}), offered {Offered}, in {DurationSeconds:0.0} s → {Throughput:0} /s, non-2xx/non-success {NonSuccess}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  ack latency ms: p50 {AckP50Ms:0.0}  p90 {AckP90Ms:0.0}  p99 {AckP99Ms:0.0}  max {AckMaxMs:0.0}");
        if (EndToEndP50Ms is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  end-to-end ms (callback → reply at the simulator): p50 {EndToEndP50Ms:0.0}  p99 {EndToEndP99Ms:0.0}; replies {RepliesReceived}/{Sent}, duplicates {DuplicateReplies}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  processing: {ProcessingThroughput:0} replies/s (first send → last reply); accepted {Accepted}, accepted without reply {AcceptedWithoutReply}");
            if (SlowReplies is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {SlowReplies}");
            }
        }

        if (RecoverySeconds is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  recovery: the last reply delayed by a second or more arrived {RecoverySeconds:0.0} s after the fault ended");
        }

        if (PeakWorkingSetMb is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  peak working set of the watched process: {PeakWorkingSetMb:0} MB");
        }

        return text.ToString();
    }
}

internal sealed class LoadRun(LoadOptions options)
{
    /// <summary>Callbacks per warm-up pass: past the 30 calls after which a method is compiled again, optimized.</summary>
    private const int WarmUpCallbacks = 100;

    /// <summary>A warm-up pass that compiles fewer methods than this leaves the send path compiled.</summary>
    private const int SettledCompilations = 10;

    private const int MaxWarmUpPasses = 10;

    private readonly string _runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]);

    public async Task<LoadResult> RunAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Rate is null ? options.Concurrency : 1024,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        })
        { BaseAddress = options.Target, Timeout = TimeSpan.FromSeconds(10) };

        var followers = Enumerable.Range(0, Math.Min(options.Followers, options.Count)).Select(i => $"{options.FollowerPrefix ?? "oLoad" + _runId}{i:D7}").ToArray();
        var sentAt = new DateTimeOffset[options.Count];
        var latencies = new double[options.Count];
        var accepted = new bool[options.Count];
        var nonSuccess = 0;
        long sinceSequence = 0;
        if (options.Simulator is not null)
        {
            sinceSequence = await OpenWindowsAsync(followers);
        }

        await WarmUpAsync(http);
        if (options.BeforeClockCommand is { } beforeClock && await RunCommandAsync(beforeClock) is { ExitCode: not 0 } failed)
        {
            throw new CommandFailedException($"--before-clock `{beforeClock}` exited with {failed.ExitCode}: {failed.Error}");
        }

        var peakWorkingSet = 0L;
        using var watching = new CancellationTokenSource();
        var watcher = options.WatchPid is { } pid ? WatchWorkingSetAsync(pid, value => peakWorkingSet = Math.Max(peakWorkingSet, value), watching.Token) : Task.CompletedTask;

        var clock = Stopwatch.StartNew();
        var runStarted = DateTimeOffset.UtcNow;
        var drill = Task.WhenAll(
            RunAtAsync(options.FaultAtSeconds, options.FaultCommand, clock),
            RunAtAsync(options.RecoverAtSeconds, options.RecoverCommand, clock));
        async Task SendOne(int index, TimeSpan scheduled)
        {
            var signed = Callback(followers[index % followers.Length], index);
            sentAt[index] = DateTimeOffset.UtcNow;
            try
            {
                if (await PostAsync(http, $"wechat/{options.AppId}?{signed.Query}", signed.Body))
                {
                    accepted[index] = true;
                }
                else
                {
                    Interlocked.Increment(ref nonSuccess);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref nonSuccess);
            }

            latencies[index] = (clock.Elapsed - scheduled).TotalMilliseconds;
        }

        if (options.Rate is { } rate)
        {
            var pending = new List<Task>(options.Count);
            for (var i = 0; i < options.Count; i++)
            {
                var scheduled = TimeSpan.FromSeconds((double)i / rate);
                var wait = scheduled - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }

                pending.Add(SendOne(i, scheduled));
            }

            await Task.WhenAll(pending);
        }
        else
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < options.Count)
                {
                    await SendOne(index, clock.Elapsed);
                }
            }));
        }

        var duration = clock.Elapsed.TotalSeconds;
        await drill;
        var endToEnd = options.Simulator is null
            ? new EndToEnd(0, 0, null, null, null, 0, null, null)
            : await EndToEndAsync(followers, sentAt, accepted, sinceSequence, runStarted);
        await watching.CancelAsync();
        await watcher;

        Array.Sort(latencies);
        return new LoadResult(
            options.Label,
            options.Mode,
            options.Count,
            nonSuccess,
            duration,
            options.Count / duration,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.90),
            Percentile(latencies, 0.99),
            latencies[^1],
            endToEnd.Replies,
            endToEnd.Duplicates,
            endToEnd.P50,
            endToEnd.P99,
            options.WatchPid is null ? null : peakWorkingSet / 1024.0 / 1024.0,
            options.Rate is { } offered ? $"{offered}/s" : $"{options.Concurrency} connections",
            endToEnd.LastReply is { } last ? endToEnd.Replies / (last - runStarted).TotalSeconds : null,
            accepted.Count(a => a),
            endToEnd.AcceptedWithoutReply,
            options.RecoverAtSeconds is { } recoverAt
                ? endToEnd.LastLateReply is { } late ? Math.Max(0, (late - runStarted).TotalSeconds - recoverAt) : 0
                : null,
            endToEnd.SlowReplies);
    }

    /// <summary>The callback WeChat would post for this follower's message: built, signed and (safe mode) encrypted now.</summary>
    private SignedCallback Callback(string follower, int index)
    {
        var xml = Push.Text(options.OriginalId, follower, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "帮助");
        var mode = options.Mode switch
        {
            "plain" => CallbackMode.Plaintext,
            "aes" => CallbackMode.Safe,
            _ => index % 2 == 0 ? CallbackMode.Plaintext : CallbackMode.Safe,
        };
        return SignedCallback.Create(new CallbackCredentials(options.AppId, options.Token, options.EncodingAesKey), xml, mode, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    /// <summary>True if the answer was a 2xx with the body <c>success</c>.</summary>
    private static async Task<bool> PostAsync(HttpClient http, string pathAndQuery, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "text/xml");
        using var response = await http.PostAsync(new Uri(pathAndQuery, UriKind.Relative), content);
        var answer = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode && answer == "success";
    }

    /// <summary>
    /// Before the clock starts, the send path runs until the runtime has stopped compiling it: callbacks
    /// built and signed as in the run, posted to a path no route answers (404, nothing stored), pass after
    /// pass with pauses between, until a pass compiles next to nothing. Tiered compilation counts calls
    /// only after 100 ms without new methods and recompiles hot ones (some thousand here, most of them
    /// HttpClient's) in the background, so one pass is not enough. The generator shares the two cores
    /// with what it measures: compiling during the run took about 0.4 core over its first 2–3 s, and at
    /// 500/s that alone queued those seconds' replies past 250 ms.
    /// </summary>
    private async Task WarmUpAsync(HttpClient http)
    {
        for (var pass = 0; pass < MaxWarmUpPasses; pass++)
        {
            var compiledBefore = JitInfo.GetCompiledMethodCount();
            for (var i = 0; i < WarmUpCallbacks; i++)
            {
                var callback = Callback("oLoadGeneratorWarmUp", i);
                try
                {
                    _ = await PostAsync(http, $"load-generator-warm-up?{callback.Query}", callback.Body);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // The target does not answer: the run itself reports that, callback by callback.
                    return;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300));
            if (JitInfo.GetCompiledMethodCount() - compiledBefore < SettledCompilations)
            {
                return;
            }
        }
    }

    /// <summary>Tells the simulator these followers just wrote (their windows open) and returns where its call log stands.</summary>
    private async Task<long> OpenWindowsAsync(string[] followers)
    {
        using var simulator = new HttpClient { BaseAddress = options.Simulator };
        foreach (var chunk in followers.Chunk(5000))
        {
            (await simulator.PostAsJsonAsync($"_sim/accounts/{options.AppId}/interactions", new { openIds = chunk })).EnsureSuccessStatusCode();
        }

        var position = await simulator.GetFromJsonAsync<JsonObject>("_sim/calls/sequence");
        return position!["sequence"]!.GetValue<long>();
    }

    /// <summary>
    /// Pairs each follower's replies, in arrival order, with that follower's callbacks, in send order
    /// (one reply per callback is expected); extra replies are duplicates.
    /// </summary>
    private sealed record EndToEnd(int Replies, int Duplicates, double? P50, double? P99, DateTimeOffset? LastReply, int AcceptedWithoutReply, DateTimeOffset? LastLateReply, string? SlowReplies);

    /// <summary>A reply slower than this counts as slow in the per-second breakdown (the end-to-end p99 target).</summary>
    private const double SlowReplyMs = 250;

    /// <summary>
    /// When the slow replies were sent, by second of the run: a few seconds holding nearly all of them is a
    /// stall (a pause of one process), slow replies spread over the run is a queue that never drains.
    /// </summary>
    private static string? DescribeSlowReplies(List<(DateTimeOffset Sent, double Ms)> replies, DateTimeOffset runStarted)
    {
        var slow = replies.Where(r => r.Ms > SlowReplyMs).ToList();
        if (slow.Count == 0)
        {
            return null;
        }

        var seconds = slow
            .GroupBy(r => (int)(r.Sent - runStarted).TotalSeconds)
            .Select(second => (Second: second.Key, Count: second.Count(), Max: second.Max(r => r.Ms)))
            .OrderByDescending(second => second.Count)
            .ToList();
        var worst = string.Join(", ", seconds.Take(5).Select(second => string.Create(CultureInfo.InvariantCulture, $"{second.Second} s ({second.Count}, max {second.Max:0} ms)")));
        return string.Create(CultureInfo.InvariantCulture, $"slow replies (> {SlowReplyMs:0} ms): {slow.Count} sent in {seconds.Count} different seconds; most in {worst}");
    }

    private async Task<EndToEnd> EndToEndAsync(string[] followers, DateTimeOffset[] sentAt, bool[] accepted, long sinceSequence, DateTimeOffset runStarted)
    {
        var expected = accepted.Count(a => a);
        using var simulator = new HttpClient { BaseAddress = options.Simulator, Timeout = TimeSpan.FromSeconds(60) };
        var sends = new Dictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
        for (var i = 0; i < sentAt.Length; i++)
        {
            var follower = followers[i % followers.Length];
            if (!sends.TryGetValue(follower, out var list))
            {
                sends[follower] = list = [];
            }

            list.Add(sentAt[i]);
        }

        foreach (var list in sends.Values)
        {
            list.Sort();
        }

        var replies = new Dictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
        var received = 0;
        var deadline = DateTimeOffset.UtcNow + options.EndToEndTimeout;
        var since = sinceSequence;
        while (received < expected && DateTimeOffset.UtcNow < deadline)
        {
            var calls = await simulator.GetFromJsonAsync<JsonArray>($"_sim/calls?path=custom/send&appId={options.AppId}&since={since}") ?? [];
            foreach (var call in calls)
            {
                since = Math.Max(since, call!["sequence"]!.GetValue<long>());
                var touser = call["delivered"]?.GetValue<bool>() == true ? JsonNode.Parse(call["body"]!.GetValue<string>())?["touser"]?.GetValue<string>() : null;
                if (touser is null || !sends.ContainsKey(touser))
                {
                    continue;
                }

                if (!replies.TryGetValue(touser, out var list))
                {
                    replies[touser] = list = [];
                }

                list.Add(call["at"]!.GetValue<DateTimeOffset>());
                received++;
            }

            if (received < expected)
            {
                await Task.Delay(500);
            }
        }

        // Refused callbacks (503) get no reply: WeChat would send them again. Only accepted ones count.
        var acceptedSends = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < sentAt.Length; i++)
        {
            if (accepted[i])
            {
                var follower = followers[i % followers.Length];
                acceptedSends[follower] = acceptedSends.GetValueOrDefault(follower) + 1;
            }
        }

        var latencies = new List<(DateTimeOffset Sent, double Ms)>();
        var duplicates = 0;
        var missing = 0;
        DateTimeOffset? last = null;
        foreach (var (follower, count) in acceptedSends)
        {
            var times = replies.GetValueOrDefault(follower) ?? [];
            duplicates += Math.Max(0, times.Count - count);
            missing += Math.Max(0, count - times.Count);
            var sent = sends[follower];
            latencies.AddRange(times.Take(count).Select((at, k) =>
            {
                var sentAt = sent[Math.Min(k, sent.Count - 1)];
                return (sentAt, (at - sentAt).TotalMilliseconds);
            }));
            if (times.Count > 0 && (last is null || times.Max() > last))
            {
                last = times.Max();
            }
        }

        // Recovery: the last reply that came a second or more after its callback marks when the delay the
        // fault caused (backlog, retries, relayed callbacks) was worked off; counted from the fault's end.
        DateTimeOffset? lastLateReply = null;
        if (options.RecoverAtSeconds is not null)
        {
            lastLateReply = sends
                .SelectMany(pair => pair.Value.Select((sent, k) => (Sent: sent, Reply: replies.GetValueOrDefault(pair.Key) is { } r && k < r.Count ? r[k] : (DateTimeOffset?)null)))
                .Where(pair => pair.Reply is { } reply && reply - pair.Sent >= TimeSpan.FromSeconds(1))
                .Select(pair => pair.Reply)
                .Max();
        }

        var sorted = latencies.Select(reply => reply.Ms).Order().ToArray();
        return sorted.Length == 0
            ? new EndToEnd(0, duplicates, null, null, null, missing, lastLateReply, null)
            : new EndToEnd(received - duplicates, duplicates, Percentile(sorted, 0.50), Percentile(sorted, 0.99), last, missing, lastLateReply, DescribeSlowReplies(latencies, runStarted));
    }

    private static async Task RunAtAsync(double? atSeconds, string? command, Stopwatch clock)
    {
        if (atSeconds is not { } at || string.IsNullOrEmpty(command))
        {
            return;
        }

        var wait = TimeSpan.FromSeconds(at) - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var (exitCode, _) = await RunCommandAsync(command);
        await Console.Error.WriteLineAsync($"[{clock.Elapsed.TotalSeconds:0.0} s] ran `{command}` → exit {exitCode}");
    }

    /// <summary>Runs a shell command; its output is read (a full pipe would block it) and dropped, its error output kept.</summary>
    private static async Task<(int ExitCode, string Error)> RunCommandAsync(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await output;
        return (process.ExitCode, (await error).Trim());
    }

    private static async Task WatchWorkingSetAsync(int pid, Action<long> observe, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                observe(process.WorkingSet64);
            }
            catch (ArgumentException)
            {
                return;
            }

            await Task.Delay(250, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>A command the run depends on (<c>--before-clock</c>) failed: the run ends with its message, not a stack trace.</summary>
internal sealed class CommandFailedException(string message) : Exception(message);
