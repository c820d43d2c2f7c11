using Personalization.Node.OperatorConsole;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>experiment create | list | start | set | report | stop, through the console against a whole node.</summary>
public sealed class ConsoleExperimentTests(EngineTestContext context) : IClassFixture<EngineTestContext>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task An_operator_creates_starts_reweights_reports_and_stops_an_experiment_from_the_console()
    {
        var topic = context.CreateTopic(2);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Experiments.Impressions = false;
        await using var node = await TestNode.StartAsync(options);
        var (session, _, output) = ConsoleNodeFixture.Console(node);
        var file = Path.Combine(Path.GetTempPath(), $"experiment-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, $$"""
            {"name": "console-exp", "kind": "ab", "description": "weak vs shipped",
             "variants": [{"name": "control", "weight": 80}, {"name": "weak", "weight": 20, "model": "{{RepositoryPaths.WeakModel.Replace("\\", "/")}}"}]}
            """);

        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(ParsedOrThrow($"experiment create {file}"), None));
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(ParsedOrThrow("experiment start console-exp"), None));
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(ParsedOrThrow("experiment set console-exp weak=50 control=50"), None));
        Assert.Equal(ConsoleExitCodes.Refused, await session.ExecuteAsync(ParsedOrThrow("experiment set console-exp nope=1"), None));
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(ParsedOrThrow("experiment list"), None));
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(ParsedOrThrow("experiment report console-exp"), None));
        Assert.Equal(ConsoleExitCodes.Ok, await session.ExecuteAsync(ParsedOrThrow("experiment stop console-exp"), None));

        var text = output.ToString();
        Assert.Contains("console-exp (ab) draft, revision 1", text);
        Assert.Contains("console-exp (ab) running, live, revision 2", text);
        Assert.Contains("50.0 %", text);
        Assert.Contains("experiment \"console-exp\" has no variant \"nope\"", text);
        Assert.Contains("warning: variant control: 0 outcomes so far", text);
        Assert.Contains("console-exp (ab) stopped", text);
    }

    [Fact]
    public async Task Bad_definitions_are_refused_with_a_reason_and_change_nothing()
    {
        var topic = context.CreateTopic(2);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Experiments.Impressions = false;
        await using var node = await TestNode.StartAsync(options);
        var client = ConsoleNodeFixture.Client(node);
        Node.Http.Admin.CreateExperimentRequest Define(string name, double weak, string model) =>
            new(name, "ab", [new("control", 1, null, null), new("weak", weak, model, null)], null, null, null, null);

        await client.CreateExperimentAsync(Define("kept", 1, RepositoryPaths.WeakModel), None);
        var refusals = new List<string>();
        foreach (var bad in new[] { Define("negative", -1, RepositoryPaths.WeakModel), Define("unknown-model", 1, "/no/such/model"), Define("kept", 5, RepositoryPaths.WeakModel) })
        {
            var failure = await Assert.ThrowsAsync<ConsoleFailure>(() => client.CreateExperimentAsync(bad, None));
            refusals.Add(failure.Message);
        }

        Assert.Contains("the weight must be a finite number ≥ 0", refusals[0]);
        Assert.Contains("model \"/no/such/model\" cannot serve", refusals[1]);
        Assert.Contains("exists already", refusals[2]);
        var all = await client.ExperimentsAsync(None);
        var kept = Assert.Single(all.Experiments);
        Assert.Equal([0.5, 0.5], kept.Variants.Select(v => v.Share));
        Assert.Equal(1, kept.Revision);
    }

    [Theory]
    [InlineData("experiment set e a=x", "\"a=x\" is not <variant>=<weight>")]
    [InlineData("experiment set e a=1 --end soon", "--end needs a time")]
    [InlineData("experiment set e", "missing argument")]
    public void Bad_experiment_arguments_get_a_sentence(string line, string reason) =>
        Assert.Contains(reason, ConsoleCommandParser.Parse(line.Split(' ')).Error);

    [Fact]
    public void Set_reads_weights_by_variant_and_an_end_time() =>
        Assert.Equal(
            new ExperimentSetCommand("e", new Dictionary<string, double> { ["a"] = 70, ["b"] = 30 }, DateTimeOffset.Parse("2026-12-31T00:00:00Z")).ToString(),
            ConsoleCommandParser.Parse("experiment set e a=70 b=30 --end 2026-12-31T00:00:00Z".Split(' ')).Command!.ToString());

    private static ConsoleCommand ParsedOrThrow(string line) =>
        ConsoleCommandParser.Parse(line.Split(' ')).Command ?? throw new InvalidOperationException(ConsoleCommandParser.Parse(line.Split(' ')).Error);
}
