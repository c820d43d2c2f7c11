using Personalization.Node.OperatorConsole.LineEditing;
using Spectre.Console;

namespace Personalization.Node.OperatorConsole;

/// <summary>Where the prompt's lines come from: the line editor on a terminal, or plain lines (a pipe, a file, a test).</summary>
public interface ILineSource
{
    /// <summary>The next line after showing <paramref name="prompt"/>; null at the end of input.</summary>
    Task<string?> ReadLineAsync(string prompt, CancellationToken ct);
}

/// <summary>Lines of a reader (redirected input): the prompt is printed, nothing is edited or remembered.</summary>
public sealed class ReaderLines(TextReader reader, IAnsiConsole console) : ILineSource
{
    public async Task<string?> ReadLineAsync(string prompt, CancellationToken ct)
    {
        console.Write(new Text(prompt));
        var line = await reader.ReadLineAsync(ct);
        if (line is null) console.WriteLine();
        return line;
    }
}

/// <summary>Lines of the <see cref="LineEditor"/> (editing, history, completion), read on a thread of their own.</summary>
public sealed class EditorLines(LineEditor editor) : ILineSource
{
    public Task<string?> ReadLineAsync(string prompt, CancellationToken ct) => Task.Run(() => editor.ReadLine(prompt), ct);
}

/// <summary>
/// The <c>pz&gt;</c> prompt: reads a line, runs it, prints the answer or the error, until <c>exit</c>/<c>quit</c> or the
/// end of input (Ctrl-D). Errors do not end the session. On a terminal the line editor reads the lines
/// (<see cref="RunTerminalAsync"/>); otherwise they are plain lines (<see cref="ReaderLines"/>).
/// </summary>
public static class InteractiveConsole
{
    public const string Prompt = "pz> ";

    public static Task<int> RunAsync(TextReader input, IAnsiConsole console, ConsoleSession session, CancellationToken ct) =>
        RunAsync(new ReaderLines(input, console), console, session, ct);

    /// <summary>
    /// The prompt on the process's terminal: the line editor with the history file (<see cref="ConsoleHistory.DefaultPath"/>)
    /// and completion from the first node. Ctrl-C is a key while it runs (it drops the line, or stops <c>cluster tail</c>),
    /// not a signal that would end the console.
    /// </summary>
    public static async Task<int> RunTerminalAsync(IAnsiConsole console, ConsoleSession session, CancellationToken ct)
    {
        var history = new ConsoleHistory(ConsoleHistory.DefaultPath());
        var completer = new ConsoleCompleter(new NodeCompletionData(session.Nodes[0]));
        var editor = new LineEditor(new TerminalKeys(), Console.Out, history, completer.Complete, () => SafeWidth());
        var treatControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        session.StopKeys = new TerminalStopKeys();
        try
        {
            return await RunAsync(new EditorLines(editor), console, session, ct);
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
        }
    }

    /// <summary>Returns the exit code of the last command that ran (0 when none failed last).</summary>
    public static async Task<int> RunAsync(ILineSource input, IAnsiConsole console, ConsoleSession session, CancellationToken ct)
    {
        console.WriteLine($"personalization console on {string.Join(", ", session.Nodes.Select(n => n.Node))}; help lists the commands, exit leaves");
        var last = ConsoleExitCodes.Ok;
        while (!ct.IsCancellationRequested)
        {
            var line = await input.ReadLineAsync(Prompt, ct);
            if (line is null) break;

            var (words, splitError) = CommandLineWords.Split(line);
            if (splitError is not null)
            {
                ConsoleViews.Error(console, splitError);
                last = ConsoleExitCodes.Usage;
                continue;
            }

            if (words.Count == 0) continue;
            var parsed = ConsoleCommandParser.Parse(words);
            if (parsed.Command is null)
            {
                ConsoleViews.Error(console, parsed.Error!);
                last = ConsoleExitCodes.Usage;
                continue;
            }

            if (parsed.Command is ExitCommand) break;
            last = await session.ExecuteAsync(parsed.Command, ct);
        }

        return last;
    }

    internal static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}

/// <summary>How a long-running view (<c>cluster tail</c>) learns that the operator wants it to stop.</summary>
public interface IStopKeys
{
    /// <summary>Completes when the operator presses one of the stop keys.</summary>
    Task WaitAsync(CancellationToken ct);
}

/// <summary>q, Esc or Ctrl-C on the terminal (other keys are ignored while a view runs).</summary>
public sealed class TerminalStopKeys : IStopKeys
{
    public async Task WaitAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            while (Console.KeyAvailable)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key is ConsoleKey.Q or ConsoleKey.Escape || (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control))) return;
            }

            await Task.Delay(50, ct);
        }
    }
}
