using Personalization.Node.OperatorConsole;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>Words → commands, and the sentences bad words get; no terminal, no node.</summary>
public sealed class ConsoleCommandParserTests
{
    private const string Address = "akka.tcp://personalization@10.0.0.7:4053";

    public static TheoryData<string, ConsoleCommand> Commands => new()
    {
        { "cluster show", new ClusterShowCommand() },
        { "CLUSTER Show", new ClusterShowCommand() },
        { $"cluster leave {Address}", new ClusterLeaveCommand(Address) },
        { $"cluster down {Address}", new ClusterDownCommand(Address) },
        { $"cluster join {Address}", new ClusterJoinCommand(Address) },
        { "cluster-sharding regions", new ShardingRegionsCommand() },
        { "cluster-sharding region-stats", new ShardingRegionStatsCommand("user") },
        { "cluster-sharding region-stats user", new ShardingRegionStatsCommand("user") },
        { "cluster-sharding region-stats Other", new ShardingRegionStatsCommand("Other") },
        { "cluster-sharding shard-stats user", new ShardingShardStatsCommand("user") },
        { "cluster-sharding shard-stats", new ShardingShardStatsCommand("user") },
        { "model show", new ModelShowCommand() },
        { "model load /models/gru-2", new ModelLoadCommand("/models/gru-2") },
        { "ingest status", new IngestStatusCommand() },
        { "user show 225", new UserShowCommand("225") },
        { "user recommend 225", new UserRecommendCommand("225", 10) },
        { "user recommend 225 3", new UserRecommendCommand("225", 3) },
        { "user recommend 225 100", new UserRecommendCommand("225", 100) },
        { "help", new HelpCommand() },
        { "?", new HelpCommand() },
        { "exit", new ExitCommand() },
        { "quit", new ExitCommand() },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_parses_to_its_record(string line, ConsoleCommand expected)
    {
        var parsed = ConsoleCommandParser.Parse(line.Split(' '));

        Assert.Null(parsed.Error);
        Assert.Equal(expected, parsed.Command);
    }

    [Theory]
    [InlineData("", "no command; type help for the list")]
    [InlineData("frobnicate", "unknown command \"frobnicate\"; type help for the list")]
    [InlineData("cluster", "cluster: a subcommand is missing; one of: cluster show, cluster leave <address>, cluster down <address>, cluster join <address>")]
    [InlineData("cluster explode", "cluster: unknown subcommand \"explode\"; one of: cluster show,")]
    [InlineData("cluster-sharding stats", "cluster-sharding: unknown subcommand \"stats\"; one of: cluster-sharding regions,")]
    [InlineData("cluster leave", "cluster leave: missing argument; usage: cluster leave <address>")]
    [InlineData("cluster show now", "cluster show: unexpected \"now\"; usage: cluster show")]
    [InlineData("cluster down 10.0.0.7:4053", "cluster down: \"10.0.0.7:4053\" is not a")]
    [InlineData("cluster leave akka://personalization", "cluster leave: \"akka://personalization\" is not a remote cluster address; expected akka.tcp://system@host:port")]
    [InlineData("cluster-sharding region-stats user extra", "cluster-sharding region-stats: unexpected \"extra\"; usage: cluster-sharding region-stats [type]")]
    [InlineData("model load", "model load: missing argument; usage: model load <folder>")]
    [InlineData("model", "model: a subcommand is missing; one of: model show, model load <folder>")]
    [InlineData("user recommend 225 0", "user recommend: k must be an integer from 1 to 100, got \"0\"")]
    [InlineData("user recommend 225 101", "user recommend: k must be an integer from 1 to 100, got \"101\"")]
    [InlineData("user recommend 225 ten", "user recommend: k must be an integer from 1 to 100, got \"ten\"")]
    [InlineData("user recommend 225 5 6", "user recommend: unexpected \"6\"; usage: user recommend <id> [k]")]
    [InlineData("user show", "user show: missing argument; usage: user show <id>")]
    public void Bad_words_get_a_sentence_that_says_what_is_wrong(string line, string expectedStart)
    {
        var parsed = ConsoleCommandParser.Parse(line.Length == 0 ? [] : line.Split(' '));

        Assert.Null(parsed.Command);
        Assert.StartsWith(expectedStart, parsed.Error);
    }

    [Fact]
    public void A_user_id_longer_than_the_api_accepts_is_refused_before_sending()
    {
        var parsed = ConsoleCommandParser.Parse(["user", "show", new string('u', 300)]);

        Assert.Null(parsed.Command);
        Assert.StartsWith("user show: the user id is longer than", parsed.Error);
    }

    [Fact]
    public void Help_lists_every_command_of_the_catalog_once()
    {
        var names = ConsoleCommandParser.Catalog.Select(s => s.Name).ToArray();

        Assert.Equal(names.Distinct().Count(), names.Length);
        Assert.Contains("cluster show", names);
        Assert.Contains("cluster-sharding region-stats", names);
        Assert.Contains("model load", names);
    }

    [Theory]
    [InlineData("cluster show", new[] { "cluster", "show" })]
    [InlineData("  model   load  /a/b  ", new[] { "model", "load", "/a/b" })]
    [InlineData("model load \"/models/my model\"", new[] { "model", "load", "/models/my model" })]
    [InlineData("model load '/x y'/z", new[] { "model", "load", "/x y/z" })]
    [InlineData("user show \"\"", new[] { "user", "show", "" })]
    [InlineData("", new string[0])]
    public void A_typed_line_splits_into_words_with_quotes(string line, string[] expected)
    {
        var (words, error) = CommandLineWords.Split(line);

        Assert.Null(error);
        Assert.Equal(expected, words);
    }

    [Fact]
    public void An_unterminated_quote_is_an_error()
    {
        var (_, error) = CommandLineWords.Split("model load \"/models/x");

        Assert.Equal("unterminated \" quote", error);
    }
}
