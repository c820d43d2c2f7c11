using Personalization.Node.OperatorConsole.LineEditing;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>The prompt's line editor, history and completion, key by key (no terminal; the tmux test drives a real one).</summary>
public sealed class LineEditorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pz-editor-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class Keys(params ConsoleKeyInfo[] keys) : IKeyInput
    {
        private readonly Queue<ConsoleKeyInfo> _keys = new(keys);

        public ConsoleKeyInfo ReadKey() => _keys.Dequeue();
    }

    private static ConsoleKeyInfo K(ConsoleKey key, bool ctrl = false) => new('\0', key, false, false, ctrl);

    private static ConsoleKeyInfo Ctrl(char c) => new((char)(c - 'a' + 1), (ConsoleKey)char.ToUpperInvariant(c), false, false, true);

    private static IEnumerable<ConsoleKeyInfo> Type(string text) =>
        text.Select(c => new ConsoleKeyInfo(c, c == ' ' ? ConsoleKey.Spacebar : char.IsLetter(c) ? (ConsoleKey)char.ToUpperInvariant(c) : ConsoleKey.Oem1, false, false, false));

    private static readonly ConsoleKeyInfo Enter = new('\r', ConsoleKey.Enter, false, false, false);
    private static readonly ConsoleKeyInfo Tab = new('\t', ConsoleKey.Tab, false, false, false);

    private sealed class Data : ICompletionData
    {
        public IReadOnlyList<string> MemberAddresses() => ["akka.tcp://personalization@10.0.0.1:4053", "akka.tcp://personalization@10.0.0.2:4053"];

        public IReadOnlyList<string> ShardTypes() => ["user"];

        public IReadOnlyList<string> UserIds() => ["225", "2260", "31"];

        public IReadOnlyList<string> DlqOffsets() => ["0:4", "0:5"];

        public IReadOnlyList<string> Paths(string partial, bool foldersOnly) => NodeCompletionData.LocalPaths(partial, foldersOnly);
    }

    private static string? Read(IEnumerable<ConsoleKeyInfo> keys, ConsoleHistory? history = null, StringWriter? output = null)
    {
        var completer = new ConsoleCompleter(new Data());
        var editor = new LineEditor(new Keys([.. keys]), output ?? new StringWriter(), history ?? new ConsoleHistory(null), completer.Complete);
        return editor.ReadLine("pz> ");
    }

    [Fact]
    public void Typed_characters_and_cursor_keys_edit_the_line_where_the_cursor_is()
    {
        Assert.Equal("cluster show", Read([.. Type("cluster sow"), K(ConsoleKey.LeftArrow), K(ConsoleKey.LeftArrow), .. Type("h"), Enter]));
        Assert.Equal("xmodel", Read([.. Type("model"), Ctrl('a'), .. Type("x"), Enter]));
        Assert.Equal("mode", Read([.. Type("model"), K(ConsoleKey.Backspace), Enter]));
        Assert.Equal("model ", Read([.. Type("model show"), Ctrl('w'), Enter]));
        Assert.Equal("", Read([.. Type("model show"), Ctrl('u'), Enter]));
        Assert.Equal("mo", Read([.. Type("model"), K(ConsoleKey.Home), K(ConsoleKey.RightArrow), K(ConsoleKey.RightArrow), Ctrl('k'), Enter]));
    }

    [Fact]
    public void Ctrl_C_drops_the_line_and_Ctrl_D_on_an_empty_line_ends_the_input()
    {
        var output = new StringWriter();
        Assert.Equal("help", Read([.. Type("cluster down x"), Ctrl('c'), .. Type("help"), Enter], output: output));
        Assert.Contains("^C", output.ToString());
        Assert.Null(Read([Ctrl('d')]));
    }

    [Fact]
    public void Up_and_down_walk_the_history_and_come_back_to_the_line_being_typed()
    {
        var history = new ConsoleHistory(null);
        history.Add("cluster show");
        history.Add("model show");

        Assert.Equal("model show", Read([K(ConsoleKey.UpArrow), Enter], history));
        Assert.Equal("cluster show", Read([K(ConsoleKey.UpArrow), K(ConsoleKey.UpArrow), K(ConsoleKey.UpArrow), Enter], history));
        Assert.Equal("user", Read([.. Type("user"), K(ConsoleKey.UpArrow), K(ConsoleKey.DownArrow), Enter], history));
        Assert.Equal(["cluster show", "model show", "cluster show", "user"], history.Lines); // what was run went in, in order
        history.Add("  user show 1  ");
        Assert.Equal("user show 1", history.Lines[^1]); // trimmed: a completion leaves a blank after the last word
    }

    [Fact]
    public void Tab_completes_commands_subcommands_and_arguments()
    {
        Assert.Equal("cluster show ", Read([.. Type("cluster s"), Tab, Enter]));
        Assert.Equal("cluster-sharding region-stats user ", Read([.. Type("cluster-"), Tab, .. Type("reg"), Tab, .. Type("-"), Tab, Tab, Enter]));
        Assert.Equal("user inspect 225 ", Read([.. Type("us"), Tab, .. Type("in"), Tab, .. Type("225"), Tab, Enter]));
        Assert.Equal("cluster down akka.tcp://personalization@10.0.0.2:4053 ", Read([.. Type("cluster down "), Tab, .. Type("2"), Tab, Enter]));
        Assert.Equal("dlq replay --file ", Read([.. Type("dlq replay --"), Tab, Enter]));
    }

    [Fact]
    public void A_second_Tab_lists_the_candidates_when_they_share_no_longer_prefix()
    {
        var output = new StringWriter();

        Assert.Equal("cluster ", Read([.. Type("cluster "), Tab, Tab, Enter], output: output));

        var text = output.ToString();
        foreach (var sub in new[] { "show", "leave", "down", "join", "tail" }) Assert.Contains(sub, text);
    }

    [Fact]
    public void File_and_folder_arguments_complete_from_the_disk()
    {
        File.WriteAllText(Path.Combine(_folder, "corrected.jsonl"), "");
        Directory.CreateDirectory(Path.Combine(_folder, "gru-2"));

        Assert.Equal($"dlq replay --file {_folder}/corrected.jsonl ", Read([.. Type($"dlq replay --file {_folder}/c"), Tab, Enter]));
        Assert.Equal($"model load {_folder}/gru-2/", Read([.. Type($"model load {_folder}/g"), Tab, Enter]));
    }

    [Fact]
    public void The_history_file_keeps_the_newest_lines_up_to_its_capacity_across_sessions_and_only_its_owner_reads_it()
    {
        var path = Path.Combine(_folder, "history");
        var first = new ConsoleHistory(path, capacity: 10);
        for (var i = 0; i < 40; i++) first.Add($"user show {i}");
        first.Add("user show 39"); // the same as the line before: not again
        first.Add("   ");

        var next = new ConsoleHistory(path, capacity: 10);

        Assert.Equal(Enumerable.Range(30, 10).Select(i => $"user show {i}"), next.Lines);
        Assert.True(File.ReadAllLines(path).Length <= 15, "the file is rewritten once it grows past 1.5 × capacity");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
