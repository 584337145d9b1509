using Microsoft.AspNetCore.Http.HttpResults;
using WeChat.Domain.Outbox;
using WeChat.Infrastructure.Operations;

namespace WeChat.Api.Internal;

public sealed record RequeueRequest(OutboxStatus Status, string? AppId);

public sealed record PurgeRequest(int OlderThanDays);

public sealed record ReplayRequest(int Max = 1000);

public sealed record OperationResult(string Operation, int Count);

/// <summary><c>/api/ops</c>: token status, outbox state and requeue, inbox purge, error-queue replay (X-Api-Key).</summary>
public static class OperationsEndpoints
{
    public static RouteGroupBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        var ops = app.MapGroup("/api/ops").AddEndpointFilter<ApiKeyFilter>().WithTags("Operations");
        ops.MapGet("/tokens", async (PlatformOperations operations, CancellationToken cancellationToken) =>
            TypedResults.Ok(await operations.CredentialsAsync(cancellationToken)));
        ops.MapGet("/outbox", async (PlatformOperations operations, CancellationToken cancellationToken) =>
            TypedResults.Ok(await operations.OutboxSummaryAsync(cancellationToken)));
        ops.MapGet("/pending-inbound", async (PlatformOperations operations, CancellationToken cancellationToken) =>
            TypedResults.Ok(new OperationResult("pending-inbound", await operations.PendingInboundCountAsync(cancellationToken))));
        ops.MapPost("/outbox/requeue", RequeueAsync);
        ops.MapPost("/inbox/purge", PurgeAsync);
        ops.MapPost("/error-queue/replay", ReplayAsync);
        return ops;
    }

    public static async Task<Results<Ok<OperationResult>, ValidationProblem>> RequeueAsync(RequeueRequest request, PlatformOperations operations, CancellationToken cancellationToken)
    {
        if (request.Status is not (OutboxStatus.Failed or OutboxStatus.Unconfirmed))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = ["failed or unconfirmed"] });
        }

        return TypedResults.Ok(new OperationResult("requeue", await operations.RequeueOutboxAsync(request.Status, request.AppId, cancellationToken)));
    }

    public static async Task<Results<Ok<OperationResult>, ValidationProblem>> PurgeAsync(PurgeRequest request, PlatformOperations operations, CancellationToken cancellationToken)
    {
        if (request.OlderThanDays < 1)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["olderThanDays"] = ["at least 1: newer rows still deduplicate retries"] });
        }

        return TypedResults.Ok(new OperationResult("purge", await operations.PurgeInboxAsync(TimeSpan.FromDays(request.OlderThanDays), cancellationToken)));
    }

    public static async Task<Results<Ok<OperationResult>, ProblemHttpResult>> ReplayAsync(ReplayRequest? request, PlatformOperations operations, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(new OperationResult("replay", await operations.ReplayErrorQueueAsync(Math.Clamp(request?.Max ?? 1000, 1, 100_000), cancellationToken)));
        }
        catch (OperationNotAvailableException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: ex.Message);
        }
    }
}
