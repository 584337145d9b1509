using WeChat.Api;
using WeChat.Api.Callback;
using WeChat.Api.Internal;
using WeChat.Api.WebLogin;
using WeChat.Application;
using WeChat.Infrastructure;
using WeChat.Infrastructure.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddApplication();
builder.AddInfrastructure();
builder.AddApi();
builder.AddPlatformHealthChecks();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapPlatformHealthChecks();
app.MapWeChatCallback();
app.MapInternalApi();
app.MapWebLogin();

app.Run();

/// <summary>Entry point; public so that WebApplicationFactory can host the API in tests.</summary>
public partial class Program;
