using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using WeChat.Api.Callback;
using WeChat.Api.Internal;
using WeChat.Application;
using WeChat.Application.Common.Behaviours;
using WeChat.Application.Configuration;
using WeChat.Infrastructure;

namespace WeChat.Api;

public static class DependencyInjection
{
    /// <summary>
    /// The HTTP side. With the in-memory transport (embedded mode) the API also hosts the worker's
    /// consumers and outbox sweeper, so one process runs the whole pipeline.
    /// </summary>
    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder)
    {
        var transport = builder.Configuration.GetSection(MessagingOptions.SectionName).Get<MessagingOptions>()?.Transport ?? MessagingTransport.RabbitMq;
        builder.AddMessaging(transport == MessagingTransport.InMemory ? MessagingRoles.Publish | MessagingRoles.Consume : MessagingRoles.Publish);

        builder.Services.AddMediator(options =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.PipelineBehaviors =
            [
                typeof(LoggingBehaviour<,>),
                typeof(ValidationBehaviour<,>),
                typeof(OutboxDispatchBehaviour<,>),
                typeof(TransactionBehaviour<,>),
                typeof(InboxBehaviour<,>),
            ];
        });
        builder.Services.AddSingleton<CallbackProcessor>();

        builder.Services.AddValidatedOptions<ApiOptions, ApiOptionsValidator>(ApiOptions.SectionName);
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ValidationExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        });
        return builder;
    }
}
