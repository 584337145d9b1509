using System.Text;
using System.Xml.Linq;
using WeChat.Simulator.Platform;

namespace WeChat.Simulator.Callbacks;

/// <summary>One POST of a callback and what the platform answered.</summary>
public sealed record CallbackAttempt(int StatusCode, string Body, TimeSpan Elapsed)
{
    /// <summary>WeChat treats 200 with <c>success</c>, an empty body or reply XML as delivered.</summary>
    public bool Acknowledged => StatusCode == 200;
}

/// <summary>
/// Delivers callbacks to an account's callback URL exactly as WeChat does: signed (and encrypted in
/// compatible/safe mode), after recording the follower's interaction (which opens the
/// customer-service window). It can replay a push, as WeChat retries when it gets no answer.
/// </summary>
public sealed class CallbackSender(SimulatedPlatform platform, HttpClient http)
{
    /// <summary>WeChat's total attempts for one push when the server does not answer (protocol §3).</summary>
    public const int WeChatAttempts = 3;

    /// <param name="deliveries">How many times the same push is posted (WeChat's retries are the same push again).</param>
    /// <param name="retryUntilAcknowledged">Behave like WeChat: stop after the first acknowledged attempt, up to 3 attempts.</param>
    public async Task<IReadOnlyList<CallbackAttempt>> SendAsync(
        string appId,
        XElement push,
        int deliveries = 1,
        bool retryUntilAcknowledged = false,
        CallbackMode? mode = null,
        CancellationToken cancellationToken = default)
    {
        var account = platform.FindAccount(appId) ?? throw new InvalidOperationException($"The simulator has no account {appId}.");
        var url = account.CallbackUrl ?? throw new InvalidOperationException($"Simulator account {appId} has no CallbackUrl.");
        platform.RecordInteraction(appId, push);

        var attempts = new List<CallbackAttempt>();
        var total = retryUntilAcknowledged ? WeChatAttempts : deliveries;
        for (var i = 0; i < total; i++)
        {
            var signed = SignedCallback.Create(platform.Credentials(appId), push, mode ?? account.CallbackMode, platform.Time.GetUtcNow().ToUnixTimeSeconds());
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            CallbackAttempt attempt;
            try
            {
                using var content = new StringContent(signed.Body, Encoding.UTF8, "text/xml");
                using var response = await http.PostAsync(new Uri($"{url}{(url.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{signed.Query}"), content, cancellationToken);
                attempt = new CallbackAttempt((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                attempt = new CallbackAttempt(0, ex.Message, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }

            attempts.Add(attempt);
            if (retryUntilAcknowledged && attempt.Acknowledged)
            {
                break;
            }
        }

        return attempts;
    }

    /// <summary>Sends the URL-verification GET the console sends when the URL is saved.</summary>
    public async Task<CallbackAttempt> VerifyUrlAsync(string appId, string echostr, CancellationToken cancellationToken = default)
    {
        var account = platform.FindAccount(appId) ?? throw new InvalidOperationException($"The simulator has no account {appId}.");
        var query = SignedCallback.VerificationQuery(platform.Credentials(appId), platform.Time.GetUtcNow().ToUnixTimeSeconds(), echostr);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(new Uri($"{account.CallbackUrl}?{query}"), cancellationToken);
        return new CallbackAttempt((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }
}
