using WeChat.Application;
using WeChat.Infrastructure;
using WeChat.Worker;

var builder = WebApplication.CreateBuilder(args);

builder.AddApplication();
builder.AddInfrastructure();
builder.AddWorker();

var app = builder.Build();

app.Run();
