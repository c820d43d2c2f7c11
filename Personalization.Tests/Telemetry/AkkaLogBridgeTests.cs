using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Personalization.Node.Hosting;
using Xunit;

namespace Personalization.Tests.Telemetry;

/// <summary>Akka's log events reach the node's loggers, and only them, up to the last one of a shutdown.</summary>
public sealed class AkkaLogBridgeTests
{
    [Fact]
    public async Task Events_still_queued_for_the_bridge_when_the_system_stops_are_written_to_the_nodes_loggers_not_to_stdout()
    {
        const int events = 1_000;
        var logs = new GatedLogs();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Information));
        var config = ConfigurationFactory.ParseString(
                $"""
                 akka.loggers = ["{typeof(AkkaLogBridge).AssemblyQualifiedName}"]
                 akka.stdout-loglevel = OFF
                 akka.loglevel = INFO
                 """)
            .WithFallback(ConfigurationFactory.ParseString(AkkaLogBridgeMailbox.Hocon));
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config), new AkkaLogBridgeSetup(factory));
        var stdout = Console.Out;
        var printed = new StringWriter();
        Console.SetOut(printed);
        try
        {
            var system = ActorSystem.Create("bridge-" + Guid.NewGuid().ToString("N")[..6], setup);
            var log = Logging.GetLogger(system, "bridge-test");
            // The bridge is held in its first write while the rest queue up and the system stops: they are in its
            // mailbox when it stops.
            for (var i = 0; i < events; i++) log.Info("event {Number}", i);
            Assert.True(logs.Blocked.Wait(TimeSpan.FromSeconds(10)), "the bridge never wrote");
            var terminating = system.Terminate();
            await Task.WhenAny(terminating, Task.Delay(TimeSpan.FromSeconds(2)));
            logs.Release();
            await terminating.WaitAsync(TimeSpan.FromSeconds(30));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (logs.Count("event ") < events && DateTime.UtcNow < deadline) await Task.Delay(20);
        }
        finally
        {
            Console.SetOut(stdout);
        }

        Assert.Equal(events, logs.Count("event "));
        Assert.DoesNotContain("event ", printed.ToString());
    }

    /// <summary>Captures log lines; the first write blocks until <see cref="Release"/>.</summary>
    private sealed class GatedLogs : ILoggerProvider
    {
        private readonly List<string> _lines = [];
        private readonly ManualResetEventSlim _gate = new();

        public ManualResetEventSlim Blocked { get; } = new();

        public void Release() => _gate.Set();

        public int Count(string text)
        {
            lock (_lines) return _lines.Count(line => line.Contains(text, StringComparison.Ordinal));
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(GatedLogs logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                logs.Blocked.Set();
                logs._gate.Wait(TimeSpan.FromSeconds(30));
                lock (logs._lines) logs._lines.Add(formatter(state, exception));
            }
        }
    }
}
