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
        AnsiConsole.MarkupLine("[bold]Starting[/] the broker process and PostgreSQL…");
        await using var broker = await LocalBroker.StartAsync(topic, partitions, ct);
        await using var postgres = await LocalPostgres.StartAsync();
        var database = await postgres.CreateDatabaseAsync("personalization");

        var remotingPorts = Enumerable.Range(0, nodeCount).Select(_ => FreePorts.Next()).ToArray();
        var seeds = string.Join(',', remotingPorts.Select(p => $"akka.tcp://personalization@127.0.0.1:{p}"));
        var nodes = new List<LocalNodeProcess>();
        try
        {
            AnsiConsole.MarkupLine($"[bold]Starting[/] {nodeCount} nodes…");
            nodes.AddRange(await Task.WhenAll(Enumerable.Range(0, nodeCount).Select(i =>
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
                return LocalNodeProcess.StartAsync($"node{i}", options, TimeSpan.FromSeconds(120));
            })));

            AnsiConsole.MarkupLine($"[bold]Kafka[/]      {broker.BootstrapServers} (topic {topic}, {partitions} partitions; process of its own)");
            AnsiConsole.MarkupLine($"[bold]PostgreSQL[/] {Markup.Escape(database)}");
            foreach (var node in nodes)
                AnsiConsole.MarkupLine($"[bold]{node.Name}[/]      http://localhost:{node.HttpPort}   (curl localhost:{node.HttpPort}/cluster/shards)");
            AnsiConsole.MarkupLine("Any node answers for any user. Ctrl+C stops the nodes with SIGTERM (drain, hand-off, leave), then the rest.");

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
            await Task.WhenAll(nodes.Select(async n =>
            {
                try
                {
                    await n.StopAsync(TimeSpan.FromSeconds(60));
                }
                finally
                {
                    await n.DisposeAsync();
                }
            }));
        }

        return 0;
    }
}
