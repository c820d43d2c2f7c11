using System.Diagnostics;

namespace Personalization.Tests.Infrastructure;

/// <summary>
/// A program in a tmux pseudo-terminal, driven as a person drives it: <see cref="SendKeys"/> types (tmux key names
/// such as Tab, Up, Enter, C-c), <see cref="Screen"/> reads what the terminal shows. Disposing kills the session.
/// </summary>
public sealed class Tmux : IDisposable
{
    private Tmux(string session) => Session = session;

    public string Session { get; }

    public static string Path => new[] { "/usr/bin/tmux", "/bin/tmux" }.FirstOrDefault(File.Exists)
                                 ?? throw new InvalidOperationException("tmux is not installed (apt-get install tmux; test.sh installs it)");

    /// <summary>Starts <paramref name="command"/> (a shell command line) in a detached session of the given size.</summary>
    public static Tmux Start(string command, int width = 200, int height = 60)
    {
        var session = "pz-test-" + Guid.NewGuid().ToString("N")[..8];
        Run("new-session", "-d", "-s", session, "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), command);
        // Keep the pane (and its text) when the program exits, so a test can read its last screen.
        Run("set-option", "-t", session, "remain-on-exit", "on");
        return new Tmux(session);
    }

    /// <summary>tmux send-keys: each argument a key name (Tab, Up, Enter, C-c, q) or literal text.</summary>
    public void SendKeys(params string[] keys) => Run(["send-keys", "-t", Session, .. keys]);

    /// <summary>Literal text, nothing in it read as a key name.</summary>
    public void Type(string text) => Run("send-keys", "-t", Session, "-l", text);

    /// <summary>The pane's text with its scrollback, wrapped lines joined.</summary>
    public string Screen() => Run("capture-pane", "-p", "-J", "-t", Session, "-S", "-500");

    public bool Exited => Run("display-message", "-p", "-t", Session, "#{pane_dead}").Trim() == "1";

    /// <summary>Waits until the screen satisfies <paramref name="condition"/>; the screen then, or a timeout naming what it showed.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        string screen;
        do
        {
            screen = Screen();
            if (condition(screen)) return screen;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"the terminal never showed {what}; it shows:\n{screen}");
    }

    public Task<string> WaitForAsync(string text, TimeSpan? timeout = null) => WaitForAsync(s => s.Contains(text, StringComparison.Ordinal), $"\"{text}\"", timeout);

    public void Dispose()
    {
        try
        {
            Run("kill-session", "-t", Session);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        return output;
    }
}
