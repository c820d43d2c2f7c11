using System.CommandLine;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Demo;
using Personalization.Node.Hosting;
using Personalization.Node.Http;
using Personalization.Node.Local;
using Spectre.Console;

namespace Personalization.Node.Cli;

/// <summary>
/// `local-cluster`: a real cluster on one machine — the embedded broker in a process of its own, a PostgreSQL server
/// from the machine's binaries, and N node processes configured exactly like the Kubernetes pods (environment
/// variables, every node a seed, pod-0 first). Each node can be killed and restarted on its own.
/// </summary>
public static class LocalClusterCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "node processes (odd: the split-brain resolver keeps the majority)", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "partitions of the events topic (= shards)", DefaultValueFactory = _ => 12 };
        var httpPort = new Option<int>("--http-port") { Description = "HTTP port of node 0; node i listens on this + i", DefaultValueFactory = _ => 8080 };
        var rate = new Option<int>("--rate") { Description = "replay the demo sample at this many events/s (0: none)", DefaultValueFactory = _ => 200 };
        var command = new Command("local-cluster", "Run a cluster of node processes on this machine with its own broker process and PostgreSQL, until stopped")
        {
            nodes, partitions, httpPort, rate,
        };
        command.SetAction((result, ct) => RunAsync(result.GetValue(nodes), result.GetValue(partitions), result.GetValue(httpPort), result.GetValue(rate), ct));
        return command;
    }

    private static async Task<int> RunAsync(int nodeCount, int partitions, int httpPort, int rate, CancellationToken ct)
    {
        if (nodeCount < 1 || partitions < nodeCount)
        {
            Console.Error.WriteLine("local-cluster: need at least 1 node and at least as many partitions as nodes");
            return 2;
        }

        const string topic = "listening-events";
        // Everything started is owned here and stopped below, whether start-up finished, failed or was interrupted.
        // The broker and the nodes run in process groups of their own: a terminal's Ctrl+C reaches only this process,
        // which stops the nodes first (they drain into a live broker and database), then the broker, then PostgreSQL.
        LocalBroker? broker = null;
        LocalPostgres? postgres = null;
        var nodes = new LocalNodeProcess?[nodeCount];
        var shutdownBudget = TimeSpan.Zero;
        try
        {
            AnsiConsole.MarkupLine("[bold]Starting[/] the broker process and PostgreSQL…");
            broker = await LocalBroker.StartAsync(topic, partitions, ct, ownProcessGroup: true);
            postgres = await LocalPostgres.StartAsync();
            var database = await postgres.CreateDatabaseAsync("personalization");

            var remotingPorts = Enumerable.Range(0, nodeCount).Select(_ => FreePorts.Next()).ToArray();
            var seeds = string.Join(',', remotingPorts.Select(p => $"akka.tcp://personalization@127.0.0.1:{p}"));
            AnsiConsole.MarkupLine($"[bold]Starting[/] {nodeCount} nodes…");
            await Task.WhenAll(Enumerable.Range(0, nodeCount).Select(async i =>
            {
                var options = new NodeOptions();
                options.Http.Host = "127.0.0.1";
                options.Http.Port = httpPort + i;
                options.Kafka.BootstrapServers = broker.BootstrapServers;
                options.Kafka.Topic = topic;
                options.Kafka.Partitions = partitions;
                options.Kafka.SessionTimeoutMs = 6000;
                options.Store.Provider = "postgresql";
                options.Store.ConnectionString = database;
                options.Model.Path = RepoFiles.Resolve(options.Model.Path);
                options.Cluster.Port = remotingPorts[i];
                options.Cluster.SeedNodes = seeds;
                options.Cluster.StableAfterSeconds = 5;
                shutdownBudget = options.Shutdown.Total;
                nodes[i] = await LocalNodeProcess.StartAsync($"node{i}", options, TimeSpan.FromSeconds(120), ownProcessGroup: true, cancellationToken: ct);
            }));

            AnsiConsole.MarkupLine($"[bold]Kafka[/]      {broker.BootstrapServers} (topic {topic}, {partitions} partitions; process {broker.Id})");
            AnsiConsole.MarkupLine($"[bold]PostgreSQL[/] {Markup.Escape(database)} (folder {Markup.Escape(postgres.Folder)})");
            foreach (var node in nodes)
                AnsiConsole.MarkupLine($"[bold]{node!.Name}[/]      http://localhost:{node.HttpPort}   (process {node.Id}; curl localhost:{node.HttpPort}/cluster/shards)");
            AnsiConsole.MarkupLine("Any node answers for any user. Ctrl+C or SIGTERM stops the nodes with SIGTERM (drain, hand-off, leave), then the broker and PostgreSQL.");

            if (rate > 0)
            {
                using var producer = new KafkaEventProducer(broker.BootstrapServers, topic);
                var sample = SampleSessions.Load(RepoFiles.Resolve("data/sample/games-sessions.txt"));
                await new DemoReplayer(new KafkaEventPublisher(producer), sample, rate).RunAsync(ct);
                AnsiConsole.MarkupLine($"Replayed {sample.Count:N0} sample events.");
            }

            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            AnsiConsole.MarkupLine("[bold]Stopping[/]…");
            await StopNodesAsync(nodes, shutdownBudget);
            if (broker is not null) await broker.DisposeAsync();
            if (postgres is not null) await postgres.DisposeAsync();
            AnsiConsole.MarkupLine("Stopped: nodes, broker and PostgreSQL; temporary folders removed.");
        }

        return 0;
    }

    /// <summary>SIGTERM to every node at once; a node still running after its own budget (plus a margin) is killed.</summary>
    private static Task StopNodesAsync(IEnumerable<LocalNodeProcess?> nodes, TimeSpan nodeBudget) =>
        Task.WhenAll(nodes.OfType<LocalNodeProcess>().Select(async node =>
        {
            await using var _ = node;
            var (elapsed, killed) = await node.TerminateAsync(nodeBudget + TimeSpan.FromSeconds(5));
            AnsiConsole.MarkupLine(killed
                ? $"[red]{node.Name}[/] still running {elapsed.TotalSeconds:0.0} s after SIGTERM: killed"
                : $"{node.Name} stopped in {elapsed.TotalSeconds:0.0} s");
        }));
}
