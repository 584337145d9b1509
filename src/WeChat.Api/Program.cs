using WeChat.Api;
using WeChat.Api.Callback;
using WeChat.Application;
using WeChat.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddApplication();
builder.AddInfrastructure();
builder.AddApi();

var app = builder.Build();

app.MapWeChatCallback();

app.Run();

/// <summary>Entry point; public so that WebApplicationFactory can host the API in tests.</summary>
public partial class Program;
