using WeChat.Api;
using WeChat.Api.Callback;
using WeChat.Api.Internal;
using WeChat.Api.WebLogin;
using WeChat.Application;
using WeChat.Infrastructure;
using WeChat.Infrastructure.Hosting;

if (await HostCommands.TryRunWithoutHostAsync(args) is { } probed)
{
    return probed;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddApplication();
builder.AddInfrastructure();
builder.AddApi();
builder.AddPlatformHealthChecks();
builder.AddPlatformObservability("wechat-api");

var app = builder.Build();

if (await HostCommands.TryRunAsync(args, app.Services) is { } exitCode)
{
    return exitCode;
}

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapPlatformHealthChecks();
app.MapPlatformMetrics();
app.MapWeChatCallback();
app.MapInternalApi();
app.MapOperations();
app.MapWebLogin();

await app.RunAsync();
return 0;

/// <summary>Entry point; public so that WebApplicationFactory can host the API in tests.</summary>
public partial class Program;
