using System.CommandLine;
using System.Net.Http.Json;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Telemetry;
using Personalization.Node.Demo;
using Personalization.Node.Hosting;
using Personalization.Node.Http;
using Spectre.Console;

namespace Personalization.Node.Cli;

/// <summary>
/// `demo`: everything on one machine with embedded defaults — librdkafka's mock broker (real Kafka protocol), a
/// SQLite file, the shipped model — replays the sample sessions at a given rate and serves HTTP until stopped.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "HTTP port", DefaultValueFactory = _ => 8080 };
        var rate = new Option<int>("--rate") { Description = "events per second to replay", DefaultValueFactory = _ => 200 };
        var partitions = new Option<int>("--partitions") { Description = "partitions of the events topic (= shards)", DefaultValueFactory = _ => 12 };
        var data = new Option<string>("--data") { Description = "a `user item` file to replay", DefaultValueFactory = _ => "data/sample/games-sessions.txt" };
        var model = new Option<string>("--model") { Description = "model folder", DefaultValueFactory = _ => "models/default" };
        var command = new Command("demo", "Run the engine end to end on embedded defaults (local Kafka broker, SQLite, shipped model, sample data) and serve HTTP until stopped")
        {
            port, rate, partitions, data, model,
        };
        command.SetAction((result, ct) => RunAsync(
            result.GetValue(port), result.GetValue(rate), result.GetValue(partitions), result.GetValue(data)!, result.GetValue(model)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(int port, int rate, int partitions, string dataPath, string modelPath, CancellationToken cancel)
    {
        var ct = cancel;
        if (rate < 1) return Fail("--rate must be at least 1 event per second");
        if (partitions < 1) return Fail("--partitions must be at least 1");
        dataPath = RepoFiles.Resolve(dataPath);
        if (!File.Exists(dataPath)) return Fail($"sample file {dataPath} not found (--data)");
        var sample = SampleSessions.Load(dataPath);

        var workDir = Path.Combine(Path.GetTempPath(), $"personalization-demo-{Environment.ProcessId}");
        Directory.CreateDirectory(workDir);
        try
        {
            using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
            var options = new NodeOptions();
            options.Http.Port = port;
            options.Kafka.BootstrapServers = broker.BootstrapServers;
            options.Kafka.Partitions = partitions;
            options.Kafka.SessionTimeoutMs = 6000;
            options.Store.ConnectionString = $"Data Source={Path.Combine(workDir, "checkpoints.db")}";
            options.Model.Path = modelPath;
            options.Cluster.Port = 0;
            options.Sessions.CheckpointIntervalSeconds = 1;
            broker.CreateTopic(options.Kafka.Topic, partitions);
            broker.CreateTopic(options.Kafka.DeadLetterTopic, 1);
            broker.CreateTopic(options.Kafka.AvailabilityTopic, 1);
            broker.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(options.Kafka.AvailabilityTopic), 1);
            broker.CreateTopic(options.Experiments.ImpressionsTopic, partitions);

            // The demo's own output is the progress and the answers: the engine logs warnings only.
            await using var app = EngineHost.Build(options, b => b.Logging.SetMinimumLevel(LogLevel.Warning));
            await app.StartAsync(ct);
            // SIGTERM stops the host (coordinated shutdown) before the command line's token fires: stop replaying then too.
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancel, app.Lifetime.ApplicationStopping);
            ct = stopping.Token;
            await NodeReadiness.WaitUntilReadyAsync(app.Services, TimeSpan.FromSeconds(60), ct);

            var watched = sample.GroupBy(e => e.User).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(3).Select(g => g.Key).ToArray();
            var baseUrl = $"http://localhost:{port}";
            AnsiConsole.Write(new Rule("[bold]Personalization demo[/]").LeftJustified());
            AnsiConsole.MarkupLine(string.Join('\n',
            [
                $"[bold]HTTP[/]            {baseUrl}",
                $"[bold]Kafka bootstrap[/] {broker.BootstrapServers}  (librdkafka mock cluster, real Kafka protocol)",
                $"[bold]Topics[/]          {options.Kafka.Topic} ({partitions} partitions), {options.Kafka.DeadLetterTopic}, {options.Kafka.AvailabilityTopic}",
                $"[bold]Checkpoints[/]     SQLite {Markup.Escape(Path.Combine(workDir, "checkpoints.db"))}",
                $"[bold]Model[/]           {Markup.Escape(RepoFiles.Resolve(modelPath))}",
                "",
                "Try, while it runs:",
                $"  curl '{baseUrl}/users/{watched[0]}/recommendations?k=10'",
                $"  curl '{baseUrl}/users/{watched[0]}/session'",
                $"  curl -X POST {baseUrl}/events -H 'content-type: application/json' -d '{{\"user\":\"{watched[0]}\",\"item\":\"42\",\"type\":\"like\"}}'",
                $"  echo '{watched[0]}:{{\"user\":\"{watched[0]}\",\"item\":\"42\",\"type\":\"play\"}}' | kcat -P -b {broker.BootstrapServers} -t {options.Kafka.Topic} -K: -X topic.partitioner=murmur2_random",
                $"  kcat -C -b {broker.BootstrapServers} -t {options.Kafka.DeadLetterTopic} -f '%h %s\\n' -e",
                $"  curl '{baseUrl}/users/{watched[0]}/recommendations?k=10&exclude=42,85'",
                $"  curl -X POST {baseUrl}/admin/items/42/withdraw -H 'content-type: application/json' -d '{{\"reason\":\"licensing\"}}'",
            ]));
            AnsiConsole.Write(new Rule());

            var publisher = app.Services.GetRequiredService<IEventPublisher>();
            var replayer = new DemoReplayer(publisher, sample, rate);
            var appliedBefore = EngineMetrics.EventsApplied.Value;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var produced = progress.AddTask($"replaying {sample.Count:N0} events at {rate}/s", maxValue: sample.Count);
                    var applied = progress.AddTask("applied to user sessions", maxValue: sample.Count);
                    var replay = replayer.RunAsync(ct);
                    while (!ct.IsCancellationRequested && (!replay.IsCompleted || applied.Value < sample.Count))
                    {
                        produced.Value = replayer.Produced;
                        applied.Value = EngineMetrics.EventsApplied.Value - appliedBefore;
                        if (replay.IsFaulted) await replay;
                        await Task.Delay(250, ct);
                    }

                    produced.Value = replayer.Produced;
                    applied.Value = EngineMetrics.EventsApplied.Value - appliedBefore;
                });

            using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
            foreach (var user in watched) await ShowRecommendationsAsync(http, user, ct);
            AnsiConsole.MarkupLine($"[green]Replay done.[/] Serving on {baseUrl} until Ctrl+C.");
            await app.WaitForShutdownAsync(ct);
            return 0;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested || cancel.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task ShowRecommendationsAsync(HttpClient http, string user, CancellationToken ct)
    {
        var answer = await http.GetFromJsonAsync($"/users/{user}/recommendations?k=10", ApiJsonContext.Default.RecommendationsDto, ct);
        if (answer is null) return;
        var table = new Table { Title = new TableTitle($"user {user}: {answer.EventsReflected} events, model {answer.Model.Name} {answer.Model.Version}{(answer.ColdStart ? " (cold start)" : "")}") };
        table.AddColumn("#");
        table.AddColumn("item");
        table.AddColumn(new TableColumn("score").RightAligned());
        var rank = 0;
        foreach (var item in answer.Items) table.AddRow((++rank).ToString(), Markup.Escape(item.ItemId), item.Score.ToString("0.0000"));
        AnsiConsole.Write(table);
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"demo: {message}");
        return 2;
    }
}
