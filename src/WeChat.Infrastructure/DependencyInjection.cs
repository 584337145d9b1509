using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using WeChat.Application;
using WeChat.Application.Abstractions;
using WeChat.Application.Configuration;
using WeChat.Infrastructure.Accounts;
using WeChat.Infrastructure.Messaging;
using WeChat.Infrastructure.Persistence;
using WeChat.Infrastructure.WeChatApi;

namespace WeChat.Infrastructure;

public static class DependencyInjection
{
    public const string RabbitMqConnectionName = "RabbitMq";
    public const string DefaultRabbitMqConnection = "amqp://guest:guest@localhost:5672/";

    public static IHostApplicationBuilder AddInfrastructure(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CallbackAccounts>();
        services.AddValidatedOptions<MessagingOptions, MessagingOptionsValidator>(MessagingOptions.SectionName);
        builder.AddPersistence();
        builder.AddWeChatApi();
        return builder;
    }

    /// <summary>The bus, on RabbitMQ or in memory as <c>Messaging:Transport</c> says, and the callback publisher.</summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        var messaging = builder.Configuration.GetSection(MessagingOptions.SectionName).Get<MessagingOptions>() ?? new MessagingOptions();
        var rabbitMq = builder.Configuration.GetConnectionString(RabbitMqConnectionName) ?? DefaultRabbitMqConnection;

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            if (messaging.Transport == MessagingTransport.InMemory)
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
            else
            {
                bus.UsingRabbitMq((context, transport) =>
                {
                    transport.Host(new Uri(rabbitMq));
                    transport.ConfigureEndpoints(context);
                });
            }
        });
        builder.Services.AddSingleton<IInboundMessagePublisher, BusInboundMessagePublisher>();
        return builder;
    }
}
