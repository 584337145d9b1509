using FluentValidation;

namespace WeChat.Application.Configuration;

/// <summary>The <c>Observability</c> section: where traces and metrics go.</summary>
public sealed class ObservabilityOptions
{
    public const string SectionName = "Observability";

    /// <summary>
    /// OTLP collector endpoint for traces and metrics (e.g. http://otel-collector:4317). The standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT variable works too. Empty: no OTLP export.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Serve metrics for Prometheus at <c>/metrics</c>.</summary>
    public bool PrometheusEndpoint { get; set; } = true;

    /// <summary>
    /// Record traces. Default: only when an OTLP endpoint is configured (spans nobody exports cost
    /// CPU on every callback and message). Unrecorded, the trace context is still propagated through
    /// the queue, so log lines carry the trace id either way.
    /// </summary>
    public bool? Tracing { get; set; }
}

public sealed class ObservabilityOptionsValidator : AbstractValidator<ObservabilityOptions>
{
    public ObservabilityOptionsValidator()
    {
        RuleFor(o => o.OtlpEndpoint).Must(url => Uri.TryCreate(url, UriKind.Absolute, out _))
            .When(o => !string.IsNullOrEmpty(o.OtlpEndpoint)).WithMessage("must be an absolute URL such as http://otel-collector:4317");
    }
}
