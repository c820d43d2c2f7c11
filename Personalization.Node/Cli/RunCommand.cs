using System.CommandLine;
using Personalization.Node.Hosting;

namespace Personalization.Node.Cli;

/// <summary>
/// `run`: a production node. Configuration comes from appsettings.json, then the environment
/// (<c>Personalization__Kafka__BootstrapServers=…</c>), then these flags, which win.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "a JSON settings file (section \"Personalization\")" };
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers, host:port,…" };
        var port = new Option<int?>("--http-port") { Description = "HTTP port (default 8080)" };
        var store = new Option<string?>("--store") { Description = "checkpoint store: sqlite or postgresql" };
        var connection = new Option<string?>("--connection-string") { Description = "checkpoint store connection string" };
        var model = new Option<string?>("--model") { Description = "model folder" };
        var seeds = new Option<string?>("--seed-nodes") { Description = "akka.tcp://personalization@host:port,… (empty: a cluster of one)" };
        var command = new Command("run", "Run a node: consume Kafka, host user sessions, serve HTTP")
        {
            config, kafka, port, store, connection, model, seeds,
        };
        command.SetAction(async (result, ct) =>
        {
            NodeOptions options;
            try
            {
                options = NodeConfiguration.Load(result.GetValue(config));
            }
            catch (Exception e) when (e is InvalidOperationException or FileNotFoundException or FormatException)
            {
                Console.Error.WriteLine($"run: {e.Message}");
                return 2;
            }

            if (result.GetValue(kafka) is { } k) options.Kafka.BootstrapServers = k;
            if (result.GetValue(port) is { } p) options.Http.Port = p;
            if (result.GetValue(store) is { } s) options.Store.Provider = s;
            if (result.GetValue(connection) is { } c) options.Store.ConnectionString = c;
            if (result.GetValue(model) is { } m) options.Model.Path = m;
            if (result.GetValue(seeds) is { } seedNodes) options.Cluster.SeedNodes = seedNodes;
            if (NodeConfiguration.Validate(options) is { } problem)
            {
                Console.Error.WriteLine($"run: {problem}");
                return 2;
            }

            // Only here, where the process is the node: the budget's guard ends the process (in-process nodes of the
            // tests and tools share theirs).
            WebApplication app;
            try
            {
                app = EngineHost.Build(options, b =>
                {
                    b.Services.AddSingleton<ShutdownBudget>();
                    b.Services.AddHostedService(sp => sp.GetRequiredService<ShutdownBudget>());
                });
            }
            catch (ArgumentException e)
            {
                // Settings outside the "Personalization" section: Logging:Format, OTEL_* (a sampler, an endpoint).
                Console.Error.WriteLine($"run: {e.Message}");
                return 2;
            }

            await using var _ = app;
            // The budget starts with the signal itself (the host's stopping event comes only after Akka's part).
            using var armOnSignal = ct.Register(app.Services.GetRequiredService<ShutdownBudget>().Arm);
            await app.RunAsync(ct);
            return 0;
        });
        return command;
    }
}
