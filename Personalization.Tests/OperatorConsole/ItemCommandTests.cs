using Personalization.Node.OperatorConsole;
using Personalization.Node.OperatorConsole.LineEditing;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>The console's item commands as words: what they parse to, what they refuse, what Tab offers.</summary>
public sealed class ItemCommandTests
{
    public static TheoryData<string, ConsoleCommand> Commands => new()
    {
        { "item withdraw 42", new ItemWithdrawCommand("42", null) },
        { "item withdraw 42 licensing deal ended", new ItemWithdrawCommand("42", "licensing deal ended") },
        { "item restore spotify:track:1", new ItemRestoreCommand("spotify:track:1") },
        { "item withdrawn", new ItemWithdrawnCommand(ConsoleCommandParser.DefaultWithdrawnItems) },
        { "ITEM withdrawn 5", new ItemWithdrawnCommand(5) },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Each_item_command_parses_to_its_record(string line, ConsoleCommand expected)
    {
        var parsed = ConsoleCommandParser.Parse(line.Split(' '));

        Assert.Null(parsed.Error);
        Assert.Equal(expected, parsed.Command);
    }

    [Theory]
    [InlineData("item withdraw", "item withdraw: missing argument; usage: item withdraw <id> [reason…]")]
    [InlineData("item restore a b", "item restore: unexpected \"b\"; usage: item restore <id>")]
    [InlineData("item withdrawn 0", "item withdrawn: n must be an integer from 1 to 100000, got \"0\"")]
    [InlineData("item frobnicate", "item: unknown subcommand \"frobnicate\"; one of: item withdraw <id> [reason…], item restore <id>, item withdrawn [n]")]
    public void Bad_words_get_a_sentence(string line, string error)
    {
        Assert.Equal(error, ConsoleCommandParser.Parse(line.Split(' ')).Error);
    }

    [Fact]
    public void Withdrawals_and_restores_are_audited_and_listing_is_not()
    {
        var specs = ConsoleCommandParser.Catalog.ToDictionary(s => s.Name);

        Assert.True(specs["item withdraw"].Destructive);
        Assert.True(specs["item restore"].Destructive);
        Assert.False(specs["item withdrawn"].Destructive);
    }

    [Fact]
    public void Tab_after_item_restore_offers_the_withdrawn_items()
    {
        var completion = new ConsoleCompleter(new Withdrawn()).Complete("item restore 4", "item restore 4".Length);

        Assert.Equal(["42", "47"], completion.Candidates);
    }

    private sealed class Withdrawn : ICompletionData
    {
        public IReadOnlyList<string> MemberAddresses() => [];

        public IReadOnlyList<string> ShardTypes() => [];

        public IReadOnlyList<string> UserIds() => [];

        public IReadOnlyList<string> DlqOffsets() => [];

        public IReadOnlyList<string> Paths(string partial, bool foldersOnly) => [];

        public IReadOnlyList<string> WithdrawnItems() => ["42", "47", "7"];
    }
}
