using WeChat.Application.Common.Behaviours;
using WeChat.Infrastructure;

namespace WeChat.Worker;

public static class DependencyInjection
{
    /// <summary>Consumes the inbound queue through the mediator pipeline and sweeps the outbox.</summary>
    public static IHostApplicationBuilder AddWorker(this IHostApplicationBuilder builder)
    {
        builder.AddMessaging(MessagingRoles.Consume);
        builder.Services.AddMediator(options =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            // A test project that references both hosts would otherwise see two public generated mediators.
            options.GenerateTypesAsInternal = true;
            options.PipelineBehaviors =
            [
                typeof(LoggingBehaviour<,>),
                typeof(ValidationBehaviour<,>),
                typeof(OutboxDispatchBehaviour<,>),
                typeof(TransactionBehaviour<,>),
                typeof(InboxBehaviour<,>),
            ];
        });

        // Let in-flight messages finish before the process exits (MassTransit waits for them).
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(45));
        return builder;
    }
}
