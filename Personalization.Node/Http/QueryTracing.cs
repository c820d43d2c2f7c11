using System.Diagnostics;
using Personalization.Actors.Sessions;
using Personalization.Actors.Telemetry;

namespace Personalization.Node.Http;

/// <summary>
/// The span of one recommendation query (docs/DESIGN.md, "Traces"): a child of ASP.NET Core's request span when that
/// exists (OpenTelemetry's instrumentation, which reads the request's W3C <c>traceparent</c>), else of the
/// <c>traceparent</c> header itself. Nothing is created while no listener samples the engine's source.
/// </summary>
internal static class QueryTracing
{
    public static Activity? Start(HttpContext http, string userId, int k)
    {
        if (!EngineTracing.Source.HasListeners()) return null;
        var parent = default(ActivityContext);
        var kind = ActivityKind.Internal;
        if (Activity.Current is { ParentSpanId: var callerSpan } request && callerSpan != default && string.IsNullOrEmpty(request.Source.Name))
        {
            // ASP.NET Core made its request activity without an ActivitySource (nothing listens to "Microsoft.AspNetCore",
            // so nothing exports it), from the request's traceparent: the query span is the server span, a child of the
            // caller's span, not of one no exporter will ever see.
            kind = ActivityKind.Server;
            parent = new ActivityContext(request.TraceId, callerSpan, request.ActivityTraceFlags, request.TraceStateString, isRemote: true);
        }
        else if (Activity.Current is null)
        {
            kind = ActivityKind.Server;
            var headers = http.Request.Headers;
            if (headers.TryGetValue(EngineTracing.TraceParentHeader, out var traceParent))
                ActivityContext.TryParse(traceParent.ToString(), headers[EngineTracing.TraceStateHeader].ToString() is { Length: > 0 } state ? state : null, isRemote: true, out parent);
        }

        var activity = EngineTracing.Source.StartActivity(EngineTracing.QuerySpanName, kind, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("user.id", userId);
            activity.SetTag("personalization.k", k);
        }

        return activity;
    }

    public static void Answered(Activity? activity, Recommendations answer, string? degradedReason)
    {
        if (activity is not { IsAllDataRequested: true }) return;
        activity.SetTag("personalization.items", answer.Items.Count);
        activity.SetTag("personalization.cold_start", answer.ColdStart);
        activity.SetTag("personalization.events_reflected", answer.EventsReflected);
        activity.SetTag("personalization.model.version", answer.ModelVersion);
        if (degradedReason is not null) activity.SetTag("personalization.degraded", degradedReason);
    }
}
