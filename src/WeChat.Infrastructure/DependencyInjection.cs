using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using WeChat.Application;
using WeChat.Application.Abstractions;
using WeChat.Application.Configuration;
using WeChat.Application.Outbox;
using WeChat.Infrastructure.Accounts;
using WeChat.Infrastructure.Hosting;
using WeChat.Infrastructure.Messaging;
using WeChat.Infrastructure.Operations;
using WeChat.Infrastructure.Outbox;
using WeChat.Infrastructure.Persistence;
using WeChat.Infrastructure.WeChatApi;

namespace WeChat.Infrastructure;

/// <summary>What a host does with the bus.</summary>
[Flags]
public enum MessagingRoles
{
    /// <summary>Accepts callbacks and publishes them (the API).</summary>
    Publish = 1,

    /// <summary>Consumes the inbound queue and sweeps the outbox (the worker).</summary>
    Consume = 2,
}

public static class DependencyInjection
{
    public const string RabbitMqConnectionName = "RabbitMq";
    public const string DefaultRabbitMqConnection = "amqp://guest:guest@localhost:5672/";

    /// <summary>The broker from <c>ConnectionStrings:RabbitMq</c>, or a local one.</summary>
    public static Uri RabbitMqAddress(IConfiguration configuration) =>
        new(configuration.GetConnectionString(RabbitMqConnectionName) ?? DefaultRabbitMqConnection);

    /// <summary>Options, accounts, database, WeChat API client and the outbox sender: what every host needs.</summary>
    public static IHostApplicationBuilder AddInfrastructure(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<CallbackAccounts>();
        services.AddValidatedOptions<MessagingOptions, MessagingOptionsValidator>(MessagingOptions.SectionName);
        builder.AddPersistence();
        services.AddHostedService<AccountSeeder>();
        builder.AddWeChatApi();

        services.AddSingleton<IOutboxExecutor, CustomerServiceMessageExecutor>();
        services.AddSingleton<IOutboxExecutor, TemplateMessageExecutor>();
        services.AddSingleton<IOutboxExecutor, HandOffExecutor>();
        services.AddSingleton<IOutboxExecutor, FollowerProfileExecutor>();
        services.AddSingleton<OutboxSender>();
        services.AddSingleton<IOutboxDispatcher>(provider => provider.GetRequiredService<OutboxSender>());
        services.AddValidatedOptions<InboxOptions, InboxOptionsValidator>(InboxOptions.SectionName);
        services.AddSingleton<PlatformOperations>();
        return builder;
    }

    /// <summary>
    /// The bus on RabbitMQ (publisher confirms, durable queue) or in memory, as <c>Messaging:Transport</c>
    /// says. Publishing hosts get the confirmed publisher with its database fallback and relay;
    /// consuming hosts get the inbound consumer and the outbox sweeper.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder, MessagingRoles roles)
    {
        var messaging = builder.Configuration.GetSection(MessagingOptions.SectionName).Get<MessagingOptions>() ?? new MessagingOptions();
        var rabbitMq = RabbitMqAddress(builder.Configuration);
        var services = builder.Services;

        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            // MassTransit reports usage to its vendor by default; a callback server should not phone home.
            bus.DisableUsageTelemetry();
            if (roles.HasFlag(MessagingRoles.Consume))
            {
                bus.AddConsumer<InboundMessageReceivedConsumer, InboundMessageReceivedConsumerDefinition>();
            }

            if (messaging.Transport == MessagingTransport.InMemory)
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
            else
            {
                bus.UsingRabbitMq((context, transport) =>
                {
                    transport.Host(rabbitMq, host => host.PublisherConfirmation = true);
                    // The error and skipped queues keep what failed as durably as the queue it came from.
                    transport.SendTopology.ConfigureErrorSettings = queue => queue.SetQuorumQueue();
                    transport.SendTopology.ConfigureDeadLetterSettings = queue => queue.SetQuorumQueue();
                    transport.ConfigureEndpoints(context);
                });
            }
        });
        services.Configure<MassTransitHostOptions>(host =>
        {
            // Start serving even while the broker is down (callbacks fall back to the database), and let
            // in-flight messages finish on shutdown.
            host.WaitUntilStarted = false;
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });

        if (roles.HasFlag(MessagingRoles.Publish))
        {
            services.AddSingleton<BrokerAvailability>();
            services.AddSingleton(new InFlightSends());
            services.AddSingleton<InboundQueueDeclaration>();
            services.AddHostedService(provider => provider.GetRequiredService<InboundQueueDeclaration>());
            services.AddSingleton<BusInboundMessagePublisher>();
            services.AddSingleton<IInboundMessagePublisher>(provider => provider.GetRequiredService<BusInboundMessagePublisher>());
            services.AddHostedService<PendingInboundRelay>();
            services.AddHealthChecks().AddCheck<BrokerPublishingHealthCheck>("broker-publish", tags: [HealthEndpoints.ReadyTag]);
        }

        if (roles.HasFlag(MessagingRoles.Consume))
        {
            services.AddHostedService<OutboxSweeper>();
            services.AddHostedService<RetentionJanitor>();
        }

        return builder;
    }
}
