using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace WeChat.Simulator.Platform;

/// <summary>The request as an operation sees it.</summary>
/// <param name="UploadedBytes">Size of the multipart <c>media</c> file, for uploads.</param>
public sealed record ApiCall(string? AppId, string RawBody, JsonObject? Json, IQueryCollection Query, long UploadedBytes);

/// <summary>
/// The WeChat API routes (same paths as api.weixin.qq.com). Every call: fault injection, token check
/// (40001 unknown/replaced/revoked, 42001 expired, 41001 missing), the operation, recording.
/// </summary>
public static class FakeWeChatApi
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapFakeWeChatApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cgi-bin/token", (HttpContext http, SimulatedPlatform platform) => Handle(http, platform, Auth.AppIdInQuery,
            call => platform.IssueClassicToken(call.Query["grant_type"], call.Query["appid"], call.Query["secret"])));
        app.MapPost("/cgi-bin/stable_token", (HttpContext http, SimulatedPlatform platform) => Handle(http, platform, Auth.AppIdInBody,
            call => platform.IssueStableToken(call.Json)));

        Token(app, "POST", "/cgi-bin/message/custom/send", (p, call) => p.SendCustomMessage(call.AppId!, call.RawBody, call.Json));
        Token(app, "POST", "/cgi-bin/message/custom/typing", (p, call) => p.Typing(call.AppId!, call.Json));
        Token(app, "POST", "/cgi-bin/message/template/send", (p, call) => p.SendTemplate(call.AppId!, call.RawBody, call.Json));
        Token(app, "GET", "/cgi-bin/customservice/getkflist", (p, call) => p.ListAgents(call.AppId!));
        Token(app, "GET", "/cgi-bin/customservice/getonlinekflist", (p, call) => p.ListOnlineAgents(call.AppId!));
        Token(app, "POST", "/customservice/kfsession/create", (p, call) => p.CreateSession(call.AppId!, call.Json));
        Token(app, "POST", "/customservice/kfsession/close", (p, call) => p.CloseSession(call.AppId!, call.Json));
        Token(app, "GET", "/customservice/kfsession/getsession", (p, call) => p.GetSession(call.AppId!, call.Query["openid"]));
        Token(app, "POST", "/cgi-bin/menu/create", (p, call) => p.CreateMenu(call.AppId!, call.Json));
        Token(app, "GET", "/cgi-bin/menu/get", (p, call) => p.GetMenu(call.AppId!));
        Token(app, "GET", "/cgi-bin/menu/delete", (p, call) => p.DeleteMenu(call.AppId!));
        Token(app, "GET", "/cgi-bin/user/info", (p, call) => p.UserInfo(call.AppId!, call.Query["openid"]));
        Token(app, "POST", "/cgi-bin/user/info/batchget", (p, call) => p.UserInfos(call.AppId!, call.Json));
        Token(app, "POST", "/cgi-bin/qrcode/create", (_, call) => SimulatedPlatform.CreateQrCode(call.Json));
        Token(app, "GET", "/cgi-bin/ticket/getticket", (p, call) => p.GetTicket(call.AppId!, call.Query["type"]));
        Token(app, "GET", "/cgi-bin/getcallbackip", (_, _) => ApiAnswer.Plain(new JsonObject { ["ip_list"] = new JsonArray("127.0.0.1", "::1") }));
        Token(app, "POST", "/cgi-bin/media/upload", (p, call) => p.UploadMedia(call.Query["type"], call.UploadedBytes));

        app.MapGet("/sns/oauth2/access_token", (HttpContext http, SimulatedPlatform platform) => Handle(http, platform, Auth.AppIdInQuery,
            call => platform.ExchangeOAuthCode(call.Query["appid"], call.Query["secret"], call.Query["code"], call.Query["grant_type"])));
        app.MapGet("/sns/oauth2/refresh_token", (HttpContext http, SimulatedPlatform platform) => Handle(http, platform, Auth.AppIdInQuery,
            call => platform.RefreshOAuthToken(call.Query["appid"], call.Query["refresh_token"], call.Query["grant_type"])));
        app.MapGet("/sns/userinfo", (HttpContext http, SimulatedPlatform platform) => Handle(http, platform, Auth.None,
            call => platform.OAuthUserInfo(call.Query["access_token"], call.Query["openid"])));

        // The page a follower sees inside WeChat; the simulated follower consents at once.
        app.MapGet("/connect/oauth2/authorize", (HttpRequest request, SimulatedPlatform platform) =>
        {
            var appId = request.Query["appid"].ToString();
            var scope = request.Query["scope"].ToString();
            var redirect = request.Query["redirect_uri"].ToString();
            if (platform.FindAccount(appId) is null || scope is not ("snsapi_base" or "snsapi_userinfo") || !Uri.TryCreate(redirect, UriKind.Absolute, out _))
            {
                return Results.Text("10003: redirect_uri or appid or scope invalid", statusCode: StatusCodes.Status400BadRequest);
            }

            var openId = request.Query["sim_openid"].ToString() is { Length: > 0 } chosen ? chosen : SimulatedPlatform.DefaultWebUser;
            var code = platform.IssueOAuthCode(appId, openId, scope);
            var separator = redirect.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            return Results.Redirect($"{redirect}{separator}code={code}&state={Uri.EscapeDataString(request.Query["state"].ToString())}");
        });
        return app;
    }

    private enum Auth
    {
        None,
        AccessToken,
        AppIdInQuery,
        AppIdInBody,
    }

    private static void Token(IEndpointRouteBuilder app, string method, string path, Func<SimulatedPlatform, ApiCall, ApiAnswer> operation) =>
        app.MapMethods(path, [method], (HttpContext http, SimulatedPlatform platform) => Handle(http, platform, Auth.AccessToken, call => operation(platform, call)));

    private static async Task<IResult> Handle(HttpContext http, SimulatedPlatform platform, Auth auth, Func<ApiCall, ApiAnswer> operation)
    {
        var request = http.Request;
        var path = request.Path.Value ?? string.Empty;
        var (rawBody, uploadedBytes) = await ReadBodyAsync(request);
        var json = ParseJson(rawBody);

        string? appId = auth switch
        {
            Auth.AppIdInQuery => request.Query["appid"],
            Auth.AppIdInBody => json?["appid"]?.GetValue<string>(),
            _ => null,
        };
        ApiAnswer? refusal = null;
        if (auth == Auth.AccessToken)
        {
            var token = request.Query["access_token"].ToString();
            var (check, owner) = platform.Tokens.Validate(token);
            appId = owner;
            refusal = string.IsNullOrEmpty(token) ? ApiAnswer.Error(41001, "access_token missing")
                : check == TokenCheck.Invalid ? ApiAnswer.Error(40001, "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken")
                : check == TokenCheck.Expired ? ApiAnswer.Error(42001, "access_token expired")
                : null;
        }

        var fault = platform.Faults.Decide(path, appId);
        if (fault.Gate is { } gate)
        {
            await platform.Faults.WaitAtGateAsync(gate);
        }

        if (fault.LatencyMilliseconds > 0)
        {
            await Task.Delay(fault.LatencyMilliseconds);
        }

        var now = platform.Time.GetUtcNow();
        if (fault.ServerErrorStatus != 0 && !fault.ServerErrorAfterProcessing)
        {
            platform.Calls.Add(now, request.Method, path, appId, request.QueryString.Value ?? string.Empty, rawBody, fault.ServerErrorStatus, 0, delivered: false);
            return ServerErrorPage(fault.ServerErrorStatus);
        }

        var answer = fault.ErrorCode != 0 ? ApiAnswer.Error(fault.ErrorCode, fault.ErrorCode == -1 ? "system error" : "injected by the simulator")
            : refusal ?? operation(new ApiCall(appId, rawBody, json, request.Query, uploadedBytes));
        var status = fault.ServerErrorStatus != 0 ? fault.ServerErrorStatus : StatusCodes.Status200OK;
        platform.Calls.Add(now, request.Method, path, appId, request.QueryString.Value ?? string.Empty, rawBody, status, answer.ErrorCode, answer.Delivered);

        if (fault.DelayAfterProcessingMilliseconds > 0)
        {
            await Task.Delay(fault.DelayAfterProcessingMilliseconds);
        }

        return status == StatusCodes.Status200OK
            ? Results.Text(answer.Json.ToJsonString(Json), "application/json; charset=utf-8", Encoding.UTF8)
            : ServerErrorPage(status);
    }

    /// <summary>What WeChat's gateway answers with a 5xx: an HTML page, not JSON.</summary>
    private static IResult ServerErrorPage(int status) =>
        Results.Text($"<html><body>{status} {ReasonPhrases.GetReasonPhrase(status)}</body></html>", "text/html", statusCode: status);

    private static async Task<(string Body, long UploadedBytes)> ReadBodyAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            return (string.Empty, form.Files.GetFile("media")?.Length ?? 0);
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return (await reader.ReadToEndAsync(), 0);
    }

    private static JsonObject? ParseJson(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
