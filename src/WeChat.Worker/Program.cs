using WeChat.Application;
using WeChat.Infrastructure;
using WeChat.Infrastructure.Hosting;
using WeChat.Worker;

if (await HostCommands.TryRunWithoutHostAsync(args) is { } probed)
{
    return probed;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddApplication();
builder.AddInfrastructure();
builder.AddWorker();

builder.AddPlatformHealthChecks();
builder.AddPlatformObservability("wechat-worker");

var app = builder.Build();

if (await HostCommands.TryRunAsync(args, app.Services) is { } exitCode)
{
    return exitCode;
}

app.MapPlatformHealthChecks();
app.MapPlatformMetrics();

await app.RunAsync();
return 0;
