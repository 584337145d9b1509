using System.Text;
using MassTransit;
using RabbitMQ.Client;
using WeChat.Application.Contracts;
using WeChat.Infrastructure.Messaging;
using WeChat.Infrastructure.Protocol;

// The ceiling to compare the platform with: an ASP.NET endpoint that only checks the signature,
// parses the XML and sends to a durable RabbitMQ queue with publisher confirms — a quorum queue behind
// a fanout exchange of the same name, sent to as mandatory, as the platform's inbound queue. No options,
// no fallback store, no deadlines, no metrics. Plaintext mode only.
//   dotnet run -c Release --project bench/WeChat.BareEndpoint -- --urls http://127.0.0.1:5090
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var token = builder.Configuration["Token"] ?? "demotoken";
var queueName = builder.Configuration["Queue"] ?? "bare-inbound";
var broker = new Uri(builder.Configuration["RabbitMq"] ?? "amqp://guest:guest@localhost:5672/");
await using (var connection = await new ConnectionFactory { Uri = broker }.CreateConnectionAsync())
await using (var channel = await connection.CreateChannelAsync())
{
    await InboundQueueTopology.DeclareAsync(channel, queueName, CancellationToken.None);
}

var queue = new Uri($"exchange:{queueName}");
builder.Services.AddMassTransit(bus =>
{
    bus.DisableUsageTelemetry();
    bus.UsingRabbitMq((_, rabbit) => rabbit.Host(broker, host => host.PublisherConfirmation = true));
});

var app = builder.Build();
app.MapPost("/wechat/{appId}", async (string appId, HttpRequest request, ISendEndpointProvider endpoints) =>
{
    if (!WeChatSignature.Matches(request.Query["signature"], token, request.Query["timestamp"].ToString(), request.Query["nonce"].ToString()))
    {
        return Results.StatusCode(403);
    }

    using var reader = new StreamReader(request.Body, Encoding.UTF8);
    var xml = await reader.ReadToEndAsync();
    var message = InboundMessageParser.Parse(xml);
    var endpoint = await endpoints.GetSendEndpoint(queue);
    await endpoint.Send(new InboundMessageReceived(appId, message.DeduplicationKey, message, xml, DateTimeOffset.UtcNow), InboundQueueTopology.MakeMandatory);
    return Results.Text("success");
});
app.Run();
