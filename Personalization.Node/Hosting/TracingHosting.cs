using System.Diagnostics;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Personalization.Actors.Telemetry;

namespace Personalization.Node.Hosting;

/// <summary>
/// Traces (docs/DESIGN.md, "Traces"): OpenTelemetry with the OTLP exporter, configured only by the standard
/// environment variables — <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) turns it
/// on, <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>/<c>_HEADERS</c>/<c>_TIMEOUT</c> go to the exporter as it reads them,
/// <c>OTEL_TRACES_SAMPLER</c>/<c>OTEL_TRACES_SAMPLER_ARG</c> choose the sampler, <c>OTEL_SERVICE_NAME</c> and
/// <c>OTEL_RESOURCE_ATTRIBUTES</c> the resource; <c>OTEL_SDK_DISABLED=true</c> or <c>OTEL_TRACES_EXPORTER=none</c>
/// turn it off. Without an endpoint nothing is registered at all: no listener, so the engine's sources cost one
/// check per poll and the per-event path allocates nothing.
/// </summary>
public static class TracingHosting
{
    public const string DefaultServiceName = "personalization";

    /// <summary>What the configuration asks for: off (with why), or the endpoint and the sampler.</summary>
    public sealed record TracingSettings(bool Enabled, string Endpoint, string SamplerDescription, SamplerSpec? Sampler, string? Why)
    {
        public static TracingSettings Off(string why) => new(false, "", "", null, why);
    }

    /// <summary>Reads the standard variables from <paramref name="configuration"/> (the environment, in a node); a sentence for a sampler it cannot use.</summary>
    public static TracingSettings Read(IConfiguration configuration)
    {
        if (string.Equals(configuration["OTEL_SDK_DISABLED"]?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            return TracingSettings.Off("OTEL_SDK_DISABLED is true");
        var exporters = configuration["OTEL_TRACES_EXPORTER"]?.Trim();
        if (string.Equals(exporters, "none", StringComparison.OrdinalIgnoreCase)) return TracingSettings.Off("OTEL_TRACES_EXPORTER is none");
        if (exporters is { Length: > 0 } && !exporters.Split(',', StringSplitOptions.TrimEntries).Contains("otlp", StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"OTEL_TRACES_EXPORTER={exporters}: the node exports traces with otlp only (or none)");
        var endpoint = FirstSet(configuration, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT");
        if (endpoint is null) return TracingSettings.Off("no OTEL_EXPORTER_OTLP_ENDPOINT");
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"OTEL_EXPORTER_OTLP_ENDPOINT=\"{endpoint}\" is not an http(s) URL (e.g. http://otel-collector:4317)");
        var sampler = ParseSampler(configuration["OTEL_TRACES_SAMPLER"], configuration["OTEL_TRACES_SAMPLER_ARG"]);
        return new TracingSettings(true, endpoint, sampler.Description, sampler, null);
    }

    /// <summary>
    /// The sampler named by <c>OTEL_TRACES_SAMPLER</c> (default <c>parentbased_always_on</c>, as the specification says):
    /// always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio;
    /// the ratio from <c>OTEL_TRACES_SAMPLER_ARG</c> (0..1, default 1).
    /// </summary>
    public static SamplerSpec ParseSampler(string? name, string? argument)
    {
        var sampler = string.IsNullOrWhiteSpace(name) ? "parentbased_always_on" : name.Trim().ToLowerInvariant();
        double Ratio()
        {
            if (string.IsNullOrWhiteSpace(argument)) return 1.0;
            if (!double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) || ratio is < 0 or > 1 || double.IsNaN(ratio))
                throw new ArgumentException($"OTEL_TRACES_SAMPLER_ARG=\"{argument}\" is not a ratio from 0 to 1");
            return ratio;
        }

        return sampler switch
        {
            "always_on" => new SamplerSpec(false, 1, sampler),
            "always_off" => new SamplerSpec(false, 0, sampler),
            "traceidratio" => Ratioed(Ratio(), parentBased: false),
            "parentbased_always_on" => new SamplerSpec(true, 1, sampler),
            "parentbased_always_off" => new SamplerSpec(true, 0, sampler),
            "parentbased_traceidratio" => Ratioed(Ratio(), parentBased: true),
            _ => throw new ArgumentException(
                $"OTEL_TRACES_SAMPLER=\"{name}\" is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"),
        };
    }

    private static SamplerSpec Ratioed(double ratio, bool parentBased)
    {
        var text = ratio.ToString(CultureInfo.InvariantCulture);
        return new SamplerSpec(parentBased, ratio, parentBased ? $"parentbased_traceidratio {text}" : $"traceidratio {text}");
    }

    /// <summary>
    /// Registers OpenTelemetry tracing when <see cref="Read"/> says so: the engine's source (per-event and query spans),
    /// ASP.NET Core's server spans (health and metrics requests left out), the OTLP exporter.
    /// </summary>
    public static TracingSettings AddTracing(this WebApplicationBuilder builder, NodeOptions options)
    {
        var settings = Read(builder.Configuration);
        if (!settings.Enabled) return settings;
        var sampler = new EngineSampler(settings.Sampler!);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(
                    serviceName: builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : DefaultServiceName,
                    serviceInstanceId: InstanceId(options)))
            .WithTracing(tracing => tracing
                .SetSampler(sampler)
                .AddSource(EngineTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbeOrScrape(context.Request.Path))
                .AddOtlpExporter());
        // The engine asks this sampler before it creates a per-event span (EngineTracing.Sampler): a dropped event then
        // costs nothing. Set while the tracer provider lives.
        builder.Services.AddHostedService(_ => new SamplerRegistration(sampler));
        return settings;
    }

    private static bool IsProbeOrScrape(PathString path) =>
        path.StartsWithSegments("/healthz", StringComparison.Ordinal) || path.StartsWithSegments("/metrics", StringComparison.Ordinal);

    /// <summary>The node's remoting address (host:port): one instance per cluster member.</summary>
    private static string InstanceId(NodeOptions options)
    {
        var cluster = options.Cluster;
        var host = string.IsNullOrWhiteSpace(cluster.PublicHostname) ? cluster.Hostname : cluster.PublicHostname;
        return $"{host}:{cluster.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string? FirstSet(IConfiguration configuration, params string[] keys)
    {
        foreach (var key in keys)
            if (configuration[key] is { } value && !string.IsNullOrWhiteSpace(value)) return value.Trim();
        return null;
    }

    private sealed class SamplerRegistration(EngineSampler sampler) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            EngineTracing.Sampler = sampler;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            if (ReferenceEquals(EngineTracing.Sampler, sampler)) EngineTracing.Sampler = null;
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// An OpenTelemetry sampler as <c>OTEL_TRACES_SAMPLER</c> names them: parent-based or not, with the ratio of the root
/// (1 always on, 0 always off, else trace-id ratio).
/// </summary>
public sealed record SamplerSpec(bool ParentBased, double Ratio, string Description)
{
    /// <summary>The SDK's own sampler for this spec (spans the engine did not decide first: queries, HTTP).</summary>
    public Sampler ToOpenTelemetry()
    {
        Sampler root = Ratio switch
        {
            >= 1 => new AlwaysOnSampler(),
            <= 0 => new AlwaysOffSampler(),
            _ => new TraceIdRatioBasedSampler(Ratio),
        };
        return ParentBased ? new ParentBasedSampler(root) : root;
    }
}

/// <summary>
/// The configured sampler. The engine asks it before a per-event span exists (<see cref="IEventSampler"/>: from the
/// record's traceparent flag, without allocating), and OpenTelemetry asks it when the span is then created: that second
/// call returns the first call's decision instead of deciding again (a root gets its trace id only when it is created,
/// so a ratio would otherwise be applied twice). A parent-based sampler (the default) decides every event up front; a
/// plain <c>traceidratio</c> under a producer's trace needs that trace's id, so such events are left to the SDK (and
/// cost a propagation-only activity when dropped). Any other span goes to the SDK's sampler of the same spec.
/// </summary>
public sealed class EngineSampler(SamplerSpec spec) : Sampler, IEventSampler
{
    [ThreadStatic] private static bool _decided;
    [ThreadStatic] private static string? _decidedName;

    private readonly Sampler _inner = spec.ToOpenTelemetry();

    public SamplerSpec Spec { get; } = spec;

    public EventSampling Sample(bool hasParent, bool parentSampled, string name)
    {
        bool take;
        if (hasParent && Spec.ParentBased) take = parentSampled; // a remote parent's flag: sampled → always on, not → always off
        else if (Spec.Ratio >= 1) take = true;
        else if (Spec.Ratio <= 0) take = false;
        else if (hasParent) return EventSampling.Ask; // ratio on the producer's trace id, which only the context carries
        else take = Random.Shared.NextDouble() < Spec.Ratio; // a root: its trace id is random anyway
        if (!take) return EventSampling.Drop;
        _decided = true;
        _decidedName = name;
        return EventSampling.Sample;
    }

    public void Forget()
    {
        _decided = false;
        _decidedName = null;
    }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (_decided && ReferenceEquals(_decidedName, samplingParameters.Name))
        {
            Forget();
            return new SamplingResult(SamplingDecision.RecordAndSample);
        }

        return _inner.ShouldSample(samplingParameters);
    }
}
