using WeChat.Application;
using WeChat.Infrastructure;
using WeChat.Infrastructure.Hosting;
using WeChat.Worker;

var builder = WebApplication.CreateBuilder(args);

builder.AddApplication();
builder.AddInfrastructure();
builder.AddWorker();

builder.AddPlatformHealthChecks();

var app = builder.Build();

app.MapPlatformHealthChecks();

app.Run();
