using System.Text.Json.Nodes;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using WeChat.Application.Abstractions.WeChatApi;
using WeChat.Application.Configuration;
using WeChat.Application.Messages;
using WeChat.Application.ReplyRules;
using WeChat.Application.Templates;
using WeChat.Application.WebLogin;
using WeChat.Domain.Replies;

namespace WeChat.Api.Internal;

public sealed record AccountView(string AppId, string? DisplayName, bool RequireEncryption, bool EncryptionConfigured, string CallbackPath);

public sealed record SendMessageRequest(string ToUser, ReplyContent Content, string? KfAccount);

/// <summary>One recipient (<c>toUser</c>) or many (<c>toUsers</c>, fanned out at the account's rate).</summary>
public sealed record TemplateMessageRequest(
    string TemplateId,
    Dictionary<string, string> Data,
    string? Url,
    MiniProgramLink? MiniProgram,
    string? ToUser,
    List<string>? ToUsers);

public sealed record VerifyIdentityRequest(string Token);

/// <summary>
/// <c>/api</c>: the operator's own systems manage the platform here (reply rules, messages as an
/// agent, template messages, menus, JS-SDK signatures). Every call needs a key in <c>X-Api-Key</c>.
/// </summary>
public static class InternalApiEndpoints
{
    public static RouteGroupBuilder MapInternalApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter<ApiKeyFilter>().WithTags("Internal API");
        api.MapGet("/accounts", ListAccounts);
        api.MapPost("/web-identities/verify", VerifyIdentity);

        var account = api.MapGroup("/accounts/{appId}").AddEndpointFilter(RequireKnownAccount);
        account.MapGet("/reply-rules", ListRules);
        account.MapPost("/reply-rules", CreateRule);
        account.MapGet("/reply-rules/{id:long}", GetRule);
        account.MapPut("/reply-rules/{id:long}", UpdateRule);
        account.MapDelete("/reply-rules/{id:long}", DeleteRule);
        account.MapPost("/messages", SendMessage);
        account.MapGet("/messages/{id:guid}", GetMessage);
        account.MapPost("/template-messages", QueueTemplates);
        account.MapGet("/template-messages/{id:guid}", GetTemplate);
        account.MapGet("/template-batches/{batchId:guid}", GetTemplateBatch);
        account.MapGet("/jssdk-config", JsSdkConfig);
        account.MapGet("/menu", GetMenu);
        account.MapPut("/menu", PutMenu);
        account.MapDelete("/menu", DeleteMenu);
        return api;
    }

    public static Ok<List<AccountView>> ListAccounts(IOptions<WeChatOptions> options) =>
        TypedResults.Ok(options.Value.Accounts
            .Select(a => new AccountView(a.AppId, a.DisplayName, a.RequireEncryption, !string.IsNullOrEmpty(a.EncodingAESKey), $"/wechat/{a.AppId}"))
            .ToList());

    public static Results<Ok<WebIdentity>, ProblemHttpResult> VerifyIdentity(VerifyIdentityRequest request, WebLoginSigner signer) =>
        signer.VerifyIdentityToken(request.Token) is { } identity
            ? TypedResults.Ok(identity)
            : TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid or expired identity token");

    public static async Task<Ok<IReadOnlyList<ReplyRuleView>>> ListRules(string appId, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListReplyRules(appId), cancellationToken));

    public static async Task<Results<Ok<ReplyRuleView>, NotFound>> GetRule(string appId, long id, ISender sender, CancellationToken cancellationToken) =>
        await sender.Send(new GetReplyRule(appId, id), cancellationToken) is { } rule ? TypedResults.Ok(rule) : TypedResults.NotFound();

    public static async Task<Created<ReplyRuleView>> CreateRule(string appId, ReplyRuleInput rule, ISender sender, CancellationToken cancellationToken)
    {
        var created = await sender.Send(new CreateReplyRule(appId, rule), cancellationToken);
        return TypedResults.Created($"/api/accounts/{appId}/reply-rules/{created.Id}", created);
    }

    public static async Task<Results<Ok<ReplyRuleView>, NotFound>> UpdateRule(string appId, long id, ReplyRuleInput rule, ISender sender, CancellationToken cancellationToken) =>
        await sender.Send(new UpdateReplyRule(appId, id, rule), cancellationToken) is { } updated ? TypedResults.Ok(updated) : TypedResults.NotFound();

    public static async Task<Results<NoContent, NotFound>> DeleteRule(string appId, long id, ISender sender, CancellationToken cancellationToken) =>
        await sender.Send(new DeleteReplyRule(appId, id), cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    public static async Task<Accepted<OutboxItemView>> SendMessage(string appId, SendMessageRequest request, ISender sender, CancellationToken cancellationToken)
    {
        var queued = await sender.Send(new SendAgentMessage(appId, request.ToUser, request.Content, request.KfAccount), cancellationToken);
        return TypedResults.Accepted($"/api/accounts/{appId}/messages/{queued.Id}", queued);
    }

    public static async Task<Results<Ok<OutboxItemView>, NotFound>> GetMessage(string appId, Guid id, ISender sender, CancellationToken cancellationToken) =>
        await sender.Send(new GetOutboxItem(appId, id), cancellationToken) is { } item ? TypedResults.Ok(item) : TypedResults.NotFound();

    public static async Task<Accepted<QueuedTemplateMessages>> QueueTemplates(string appId, TemplateMessageRequest request, ISender sender, CancellationToken cancellationToken)
    {
        var recipients = request.ToUsers ?? (request.ToUser is null ? [] : [request.ToUser]);
        var queued = await sender.Send(new QueueTemplateMessages(appId,
            new TemplateMessageInput(request.TemplateId, request.Data ?? [], request.Url, request.MiniProgram), recipients), cancellationToken);
        var location = queued.BatchId is { } batch
            ? $"/api/accounts/{appId}/template-batches/{batch}"
            : $"/api/accounts/{appId}/template-messages/{queued.Messages[0].Id}";
        return TypedResults.Accepted(location, queued);
    }

    public static async Task<Results<Ok<TemplateMessageView>, NotFound>> GetTemplate(string appId, Guid id, ISender sender, CancellationToken cancellationToken) =>
        await sender.Send(new GetTemplateMessage(appId, id), cancellationToken) is { } message ? TypedResults.Ok(message) : TypedResults.NotFound();

    public static async Task<Results<Ok<IReadOnlyList<TemplateMessageView>>, NotFound>> GetTemplateBatch(string appId, Guid batchId, ISender sender, CancellationToken cancellationToken) =>
        await sender.Send(new GetTemplateBatch(appId, batchId), cancellationToken) is { Count: > 0 } messages ? TypedResults.Ok(messages) : TypedResults.NotFound();

    /// <summary>Parameters for <c>wx.config</c>; <c>url</c> is the page's <c>location.href.split('#')[0]</c>.</summary>
    public static async Task<IResult> JsSdkConfig(string appId, string? url, IJsSdkSigner signer, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var page) || page.Scheme is not ("http" or "https"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["url"] = ["must be the page's absolute http(s) URL"] });
        }

        var result = await signer.SignAsync(appId, url, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(result.Value) : WeChatProblems.From(result);
    }

    public static async Task<IResult> GetMenu(string appId, IWeChatManagementApi management, CancellationToken cancellationToken)
    {
        var result = await management.GetMenuAsync(appId, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(result.Value) : WeChatProblems.From(result);
    }

    /// <summary>Pushes the custom menu: <c>{"button":[…]}</c>, at most 3 buttons with at most 5 sub-buttons each.</summary>
    public static async Task<IResult> PutMenu(string appId, JsonObject menu, IWeChatManagementApi management, CancellationToken cancellationToken)
    {
        if (menu["button"] is not JsonArray { Count: >= 1 and <= 3 } buttons || buttons.Any(b => b?["sub_button"] is JsonArray { Count: > 5 }))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["button"] = ["1 to 3 buttons, each with at most 5 sub_button entries"] });
        }

        var result = await management.CreateMenuAsync(appId, menu, cancellationToken);
        return result.Succeeded ? TypedResults.NoContent() : WeChatProblems.From(result);
    }

    public static async Task<IResult> DeleteMenu(string appId, IWeChatManagementApi management, CancellationToken cancellationToken)
    {
        var result = await management.DeleteMenuAsync(appId, cancellationToken);
        return result.Succeeded ? TypedResults.NoContent() : WeChatProblems.From(result);
    }

    private static async ValueTask<object?> RequireKnownAccount(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var appId = context.HttpContext.GetRouteValue("appId") as string;
        var accounts = context.HttpContext.RequestServices.GetRequiredService<IOptions<WeChatOptions>>().Value.Accounts;
        return accounts.Any(a => a.AppId == appId)
            ? await next(context)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No account {appId} is configured");
    }
}
