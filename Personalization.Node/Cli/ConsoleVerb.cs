using System.CommandLine;
using Personalization.Node.OperatorConsole;
using Spectre.Console;

namespace Personalization.Node.Cli;

/// <summary>
/// `console`: the operator console (pbm's vocabulary plus the engine's commands) against one or more nodes' admin
/// API. With command words it runs that one command; without, it opens the interactive <c>pz&gt;</c> prompt.
/// A verb of the node binary rather than a project of its own: the container image already has it, and the client
/// reads the API's bodies with the very records the node writes.
/// </summary>
public static class ConsoleVerb
{
    public static Command Create()
    {
        var nodes = new Option<string[]>("--node")
        {
            Description = $"node HTTP address; repeat (or comma-separate) to run the command on several nodes (default {ConsoleConnection.DefaultNode})",
            DefaultValueFactory = _ => [ConsoleConnection.DefaultNode],
        };
        var token = new Option<string?>("--token") { Description = $"console token (default: ${ConsoleConnection.TokenVariable})" };
        var timeout = new Option<double>("--timeout") { Description = "seconds to wait for each answer", DefaultValueFactory = _ => 30 };
        var words = new Argument<string[]>("command") { Description = "command words, e.g. cluster show; none: interactive prompt (help lists the commands)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("console", Description())
        {
            nodes, token, timeout, words,
        };
        command.SetAction(async (result, ct) =>
        {
            var console = AnsiConsole.Console;
            // Piped into a file or another program there is no terminal to measure: tables take COLUMNS, as `ls` does.
            if (Console.IsOutputRedirected && int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns is >= 40 and <= 1000)
                console.Profile.Width = columns;
            if (result.GetValue(timeout) is not (> 0 and var seconds))
            {
                ConsoleViews.Error(console, "--timeout must be a positive number of seconds");
                return ConsoleExitCodes.Usage;
            }

            var (clients, problem) = ConsoleConnection.Create(result.GetValue(nodes) ?? [], result.GetValue(token), TimeSpan.FromSeconds(seconds));
            if (problem is not null)
            {
                ConsoleViews.Error(console, problem);
                return ConsoleExitCodes.Usage;
            }

            var session = new ConsoleSession(console, clients);
            var commandWords = result.GetValue(words) ?? [];
            if (commandWords.Length == 0)
            {
                // A person at a terminal gets the line editor; a pipe or a file gets plain lines.
                return System.Console.IsInputRedirected || System.Console.IsOutputRedirected
                    ? await InteractiveConsole.RunAsync(System.Console.In, console, session, ct)
                    : await InteractiveConsole.RunTerminalAsync(console, session, ct);
            }

            // A one-shot view that runs until stopped (cluster tail) also stops on q when a terminal is attached.
            if (!System.Console.IsInputRedirected) session.StopKeys = new TerminalStopKeys();

            var parsed = ConsoleCommandParser.Parse(commandWords);
            if (parsed.Command is null)
            {
                ConsoleViews.Error(console, parsed.Error!);
                return ConsoleExitCodes.Usage;
            }

            return await session.ExecuteAsync(parsed.Command, ct);
        });
        return command;
    }

    /// <summary>What <c>console --help</c> says: every command of the catalog, the keys of the interactive prompt.</summary>
    internal static string Description()
    {
        var width = ConsoleCommandParser.Catalog.Max(s => s.Usage.Length) + 2;
        var lines = ConsoleCommandParser.Catalog
            .Where(s => s.Name is not ("help" or "exit"))
            .Select(s => "  " + s.Usage.PadRight(width) + s.Description + (s.Destructive ? " [audited]" : ""));
        return "Operator console (pbm's vocabulary plus the engine's commands) against running nodes' admin API. With command words it "
               + "runs that one command; without, the interactive pz> prompt: line editing, history (~/" + Personalization.Node.OperatorConsole.LineEditing.ConsoleHistory.FileName
               + ", ↑/↓), Tab completes commands and arguments, help lists the commands, exit leaves.\n\nCommands:\n"
               + string.Join("\n", lines)
               + "\n\n[audited]: the node logs who (your OS user, the console token's fingerprint) and when."
               + "\nExit codes: 0 ok, 1 refused by the node, 2 unknown command or bad arguments, 3 node unreachable, 4 unauthorized.";
    }
}
