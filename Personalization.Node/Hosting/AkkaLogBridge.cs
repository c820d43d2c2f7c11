using System.Collections;
using System.Diagnostics;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Personalization.Node.Hosting;

/// <summary>
/// Akka's log events into Microsoft.Extensions.Logging, as structured entries (docs/DESIGN.md, "Logs"): the category
/// is the class that logged, the message its formatted text alone, and the state its named template properties plus
/// the template (<c>{OriginalFormat}</c>), the actor path and log source, and the trace and span ids the caller had when
/// it logged (Akka captures them before the event crosses a mailbox, where <c>Activity.Current</c> is lost). Akka.Hosting's
/// own bridge prefixes every message with Akka's text header and hands the JSON formatter a state it cannot enumerate,
/// so each Akka line would be a bare string. Registered as the only Akka logger (Akka.Hosting's logger configuration).
/// </summary>
public sealed class AkkaLogBridge : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly AkkaLogWriter _writer = new(Context.System.Settings.Setup.Get<AkkaLogBridgeSetup>().Value?.Factory);

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent log:
                _writer.Write(log, Sender);
                return true;
            default:
                return false;
        }
    }
}

/// <summary>
/// Writes Akka log events to Microsoft.Extensions.Logging (<see cref="AkkaLogBridge"/>); one per caller, not thread-safe
/// (its logger caches are plain dictionaries).
/// </summary>
internal sealed class AkkaLogWriter(ILoggerFactory? factory)
{
    private readonly Dictionary<Type, ILogger> _loggers = [];
    private readonly Dictionary<string, ILogger> _bySource = new(StringComparer.Ordinal);

    public void Write(LogEvent log, IActorRef? sender)
    {
        if (factory is null) return;
        var logger = LoggerFor(factory, log);
        var level = log.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => MelLogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => MelLogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => MelLogLevel.Warning,
            _ => MelLogLevel.Error,
        };
        if (!logger.IsEnabled(level)) return;
        var state = new State(log, sender?.Path.ToString() ?? "");
        logger.Log(level, default, state, log.Cause, static (s, _) => s.Text);
    }

    /// <summary>
    /// The category: the class that logged; for Akka's own string-sourced events ("remoting (akka://…)", "Cluster
    /// (akka://…)") Akka names no class, so <c>Akka.&lt;source&gt;</c>.
    /// </summary>
    private ILogger LoggerFor(ILoggerFactory loggers, LogEvent log)
    {
        if (log.LogClass != typeof(DummyClassForStringSources))
        {
            if (!_loggers.TryGetValue(log.LogClass, out var logger))
                _loggers[log.LogClass] = logger = loggers.CreateLogger(log.LogClass.FullName ?? log.LogClass.Name);
            return logger;
        }

        var source = log.LogSource ?? "";
        var end = 0;
        while (end < source.Length && (char.IsAsciiLetterOrDigit(source[end]) || source[end] is '.' or '-' or '_')) end++;
        // A stream stage names itself by its shape ("SourceShape`1(…)"): those are Akka.Streams'.
        var name = source.AsSpan(end).StartsWith("`") || source[..end].EndsWith("Shape", StringComparison.Ordinal) ? "Akka.Streams" : "Akka." + source[..end];
        if (!_bySource.TryGetValue(name, out var bySource)) _bySource[name] = bySource = loggers.CreateLogger(name);
        return bySource;
    }

    /// <summary>The entry's properties, enumerable as the console formatters (and OpenTelemetry) read them.</summary>
    private sealed class State : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly List<KeyValuePair<string, object?>> _items = [];

        public State(LogEvent log, string actorPath)
        {
            Text = Format(log);
            if (log.TryGetProperties(out var properties) && properties is not null)
                foreach (var (key, value) in properties)
                    if (!int.TryParse(key, out _)) _items.Add(new(key, value)); // positional {0} arguments are not names
            _items.Add(new("ActorPath", actorPath));
            _items.Add(new("LogSource", log.LogSource));
            if (log.ActivityContext is { TraceId: var traceId, SpanId: var spanId } && traceId != default)
            {
                _items.Add(new("TraceId", traceId.ToHexString()));
                _items.Add(new("SpanId", spanId.ToHexString()));
            }

            _items.Add(new("{OriginalFormat}", log.GetTemplate()));
        }

        public string Text { get; }

        public int Count => _items.Count;

        public KeyValuePair<string, object?> this[int index] => _items[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _items.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Text;

        private static string Format(LogEvent log)
        {
            try
            {
                return log.Message is LogMessage message ? message.ToString()! : log.Message?.ToString() ?? "";
            }
            catch (Exception e)
            {
                return $"(a malformed Akka log message, {e.GetType().Name}: template {log.GetTemplate()})";
            }
        }
    }
}

/// <summary>The host's logger factory for <see cref="AkkaLogBridge"/> (an actor-system setup: each node's own).</summary>
public sealed class AkkaLogBridgeSetup(ILoggerFactory factory) : Akka.Actor.Setup.Setup
{
    public ILoggerFactory Factory { get; } = factory;
}
