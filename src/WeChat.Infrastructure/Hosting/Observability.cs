using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using WeChat.Application;
using WeChat.Application.Common.Observability;
using WeChat.Application.Configuration;

namespace WeChat.Infrastructure.Hosting;

/// <summary>
/// OpenTelemetry for every host: traces from ASP.NET Core, HttpClient (WeChat API calls), MassTransit
/// (the W3C context crosses RabbitMQ, so one trace runs from the callback to the reply) and the
/// mediator commands (recorded when exported: <c>Observability:Tracing</c>; otherwise propagated only, so
/// log lines still carry the trace id); metrics from the
/// platform's meter, MassTransit, ASP.NET Core, HttpClient and the runtime. Exported over OTLP when an
/// endpoint is configured, and scraped at <c>/metrics</c>.
/// </summary>
public static class Observability
{
    public static IHostApplicationBuilder AddPlatformObservability(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddValidatedOptions<ObservabilityOptions, ObservabilityOptionsValidator>(ObservabilityOptions.SectionName);
        var options = builder.Configuration.GetSection(ObservabilityOptions.SectionName).Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        var version = typeof(Observability).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

        var otlpEndpoint = options.OtlpEndpoint is { Length: > 0 } configured ? configured : builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: version, serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(WeChatMetrics.MeterName)
                    .AddMeter("MassTransit")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (options.PrometheusEndpoint)
                {
                    metrics.AddPrometheusExporter();
                }
            });

        if (options.Tracing ?? !string.IsNullOrEmpty(otlpEndpoint))
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspNet => aspNet.Filter = context => !IsOperational(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddSource("MassTransit")
                .AddSource(WeChatTracing.SourceName));
        }
        else
        {
            TraceContextPropagation.Enable();
        }

        if (!string.IsNullOrEmpty(options.OtlpEndpoint))
        {
            telemetry.UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, new Uri(options.OtlpEndpoint));
        }
        else if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    public static IEndpointRouteBuilder MapPlatformMetrics(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ObservabilityOptions>>().Value;
        if (options.PrometheusEndpoint && app is IApplicationBuilder pipeline)
        {
            pipeline.UseOpenTelemetryPrometheusScrapingEndpoint();
        }

        return app;
    }

    private static bool IsOperational(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    /// <summary>
    /// When no traces are recorded, MassTransit would create no activities and the trace context would
    /// stop at the broker. Unrecorded (propagation-only) spans cost little and keep one trace id in the
    /// log lines of the callback, the consume and the reply.
    /// </summary>
    private static class TraceContextPropagation
    {
        private static readonly Lazy<ActivityListener> Listener = new(() =>
        {
            var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is "MassTransit" or "Microsoft.AspNetCore",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            };
            ActivitySource.AddActivityListener(listener);
            return listener;
        });

        public static void Enable() => _ = Listener.Value;
    }
}
