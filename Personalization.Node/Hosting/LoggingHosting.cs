using Microsoft.Extensions.Logging.Console;

namespace Personalization.Node.Hosting;

/// <summary>
/// The node's logs (docs/DESIGN.md, "Logs"): one console logger, structured (named message templates everywhere, Akka's
/// included), every line written inside a trace tagged with its trace and span ids (<see cref="ActivityTrackingOptions"/>;
/// Akka's lines carry the ids their caller had, as <c>Akka.TraceId</c>/<c>Akka.SpanId</c>). <c>Logging:Format</c>
/// (<c>Logging__Format</c> in the environment) picks the format: <c>simple</c> (default, one line per entry for a
/// terminal) or <c>json</c> (one JSON object per line: production, the pod manifests).
/// </summary>
public static class LoggingHosting
{
    public const string FormatKey = "Logging:Format";

    public static string AddNodeLogging(this WebApplicationBuilder builder)
    {
        var format = (builder.Configuration[FormatKey] ?? "simple").Trim().ToLowerInvariant();
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        switch (format)
        {
            case "json":
                builder.Logging.AddJsonConsole(o =>
                {
                    o.IncludeScopes = true; // the trace scope: TraceId, SpanId, ParentId
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
                });
                break;
            case "simple":
                builder.Logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss.fff ";
                });
                break;
            default:
                throw new ArgumentException($"{FormatKey}=\"{format}\" is not a log format: use simple or json");
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The health check service logs every failing check of every probe (an error line per kubelet probe while a
        // node starts); HealthHosting logs each check's changes instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);
        return format;
    }
}
