using System.Text.Json.Nodes;
using WeChat.Simulator.Callbacks;
using WeChat.Simulator.Platform;

namespace WeChat.Simulator.Control;

/// <summary>
/// <c>/_sim/...</c>: what a test or a person uses to drive and inspect the fake platform — recorded
/// calls, fault injection, token revocation, agents, sending callbacks as a follower.
/// </summary>
public static class ControlEndpoints
{
    public sealed record AgentState(bool Online, string? Nickname = null, int? AcceptedCases = null);

    public sealed record CodeRequest(string OpenId, string Scope = "snsapi_base");

    /// <summary>Followers who just wrote to the account (opens their windows without sending callbacks).</summary>
    public sealed record InteractionsRequest(IReadOnlyList<string> OpenIds);

    public static IEndpointRouteBuilder MapSimulatorControl(this IEndpointRouteBuilder app)
    {
        var sim = app.MapGroup("/_sim").WithTags("Simulator control");

        sim.MapGet("/calls", (SimulatedPlatform platform, string? path, string? appId, string? toUser, long? since) =>
            platform.Calls.Snapshot(call =>
                (path is null || call.Path.Contains(path, StringComparison.OrdinalIgnoreCase))
                && (appId is null || call.AppId == appId)
                && (since is null || call.Sequence > since)
                && (toUser is null || call.Json()?["touser"]?.GetValue<string>() == toUser)));
        sim.MapGet("/calls/sequence", (SimulatedPlatform platform) => new { sequence = platform.Calls.LastSequence });
        sim.MapDelete("/calls", (SimulatedPlatform platform) =>
        {
            platform.Calls.Clear();
            return Results.NoContent();
        });

        sim.MapGet("/accounts", (SimulatedPlatform platform) => platform.Accounts.Select(a => new
        {
            a.AppId,
            a.OriginalId,
            a.CallbackUrl,
            CallbackMode = a.CallbackMode.ToString(),
            StableTokensIssued = platform.Tokens.StableIssued(a.AppId),
        }));
        sim.MapPost("/accounts/{appId}/revoke-token", (string appId, SimulatedPlatform platform) =>
        {
            if (platform.FindAccount(appId) is null)
            {
                return Results.NotFound();
            }

            platform.Tokens.Revoke(appId);
            return Results.NoContent();
        });

        sim.MapGet("/faults", (SimulatedPlatform platform) => platform.Faults.Rules);
        sim.MapPost("/faults", (FaultRule rule, SimulatedPlatform platform) => rule.Problem() is { } problem
            ? Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest)
            : Results.Ok(new { id = platform.Faults.Add(rule) }));
        sim.MapPost("/faults/release", (SimulatedPlatform platform) =>
        {
            platform.Faults.Release();
            return Results.NoContent();
        });
        sim.MapDelete("/faults", (SimulatedPlatform platform) =>
        {
            platform.Faults.Clear();
            return Results.NoContent();
        });

        sim.MapPut("/accounts/{appId}/agents/{kfAccount}", (string appId, string kfAccount, AgentState state, SimulatedPlatform platform) =>
        {
            if (platform.FindAccount(appId) is null)
            {
                return Results.NotFound();
            }

            platform.SetAgent(appId, kfAccount, state.Nickname, state.Online, state.AcceptedCases);
            return Results.NoContent();
        });
        sim.MapPost("/accounts/{appId}/kf-sessions/{openId}/close", (string appId, string openId, SimulatedPlatform platform) =>
            platform.FindAccount(appId) is null ? Results.NotFound() : Results.Ok(platform.CloseSession(appId, null, openId).Json));

        sim.MapGet("/accounts/{appId}/followers/{openId}", (string appId, string openId, SimulatedPlatform platform) =>
            platform.FindFollower(appId, openId) is { } follower
                ? Results.Ok(new
                {
                    follower.OpenId,
                    follower.Subscribed,
                    follower.QrScene,
                    follower.WindowEndsAt,
                    follower.WindowMessagesLeft,
                    ServedBy = platform.ServingAgent(appId, openId),
                })
                : Results.NotFound());

        sim.MapPost("/accounts/{appId}/callbacks", async (string appId, PushRequest push, SimulatedPlatform platform, CallbackSender sender, CancellationToken cancellationToken) =>
        {
            if (platform.FindAccount(appId) is not { } account)
            {
                return Results.NotFound();
            }

            System.Xml.Linq.XElement xml;
            try
            {
                xml = push.Build(account.OriginalId, appId, platform.Time.GetUtcNow().ToUnixTimeSeconds());
            }
            catch (InvalidOperationException ex)
            {
                return Results.BadRequest(new { error = ex.Message });
            }

            var attempts = await sender.SendAsync(appId, xml, push.Deliveries, push.RetryUntilAcknowledged, push.Mode, cancellationToken);
            return Results.Ok(new { xml = xml.ToString(), attempts });
        });

        // For load generators that post callbacks to the platform themselves: the platform must still
        // know these followers wrote, or every reply would be refused with 45015.
        sim.MapPost("/accounts/{appId}/interactions", (string appId, InteractionsRequest request, SimulatedPlatform platform) =>
        {
            if (platform.FindAccount(appId) is not { } account)
            {
                return Results.NotFound();
            }

            var now = platform.Time.GetUtcNow().ToUnixTimeSeconds();
            foreach (var openId in request.OpenIds)
            {
                platform.RecordInteraction(appId, Push.Text(account.OriginalId, openId, now, string.Empty));
            }

            return Results.NoContent();
        });

        sim.MapPost("/accounts/{appId}/oauth-codes", (string appId, CodeRequest request, SimulatedPlatform platform) =>
            platform.FindAccount(appId) is null
                ? Results.NotFound()
                : Results.Ok(new JsonObject { ["code"] = platform.IssueOAuthCode(appId, request.OpenId, request.Scope) }));

        return app;
    }
}
