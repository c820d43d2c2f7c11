using Spectre.Console;

namespace Personalization.Node.OperatorConsole;

/// <summary>
/// The <c>pz&gt;</c> prompt: reads a line, runs it, prints the answer or the error, until <c>exit</c>/<c>quit</c> or the
/// end of input. Errors do not end the session; the input is a <see cref="TextReader"/> so tests drive it.
/// </summary>
public static class InteractiveConsole
{
    public const string Prompt = "pz> ";

    /// <summary>Returns the exit code of the last command that ran (0 when none failed last).</summary>
    public static async Task<int> RunAsync(TextReader input, IAnsiConsole console, ConsoleSession session, CancellationToken ct)
    {
        console.WriteLine($"personalization console on {string.Join(", ", session.Nodes.Select(n => n.Node))}; help lists the commands, exit leaves");
        var last = ConsoleExitCodes.Ok;
        while (!ct.IsCancellationRequested)
        {
            console.Write(new Text(Prompt));
            var line = await input.ReadLineAsync(ct);
            if (line is null)
            {
                console.WriteLine();
                break;
            }

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
}
