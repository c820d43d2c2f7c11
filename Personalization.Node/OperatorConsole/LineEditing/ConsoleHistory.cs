namespace Personalization.Node.OperatorConsole.LineEditing;

/// <summary>
/// The lines typed at the prompt, oldest first, kept in a file in the user's home so ↑ finds them in the next session
/// too: at most <see cref="Capacity"/> lines (the oldest go), no blank lines, no line equal to the one before. The file
/// is appended to line by line and rewritten with the newest <see cref="Capacity"/> when it has grown past half as
/// many again; it is created readable by its owner only. Without a usable file the history lives in memory.
/// Commands carry no secrets (the token is a flag or an environment variable, never typed at the prompt).
/// </summary>
public sealed class ConsoleHistory
{
    public const string PathVariable = "PERSONALIZATION_CONSOLE_HISTORY";
    public const string FileName = ".personalization_console_history";
    public const int DefaultCapacity = 1000;

    private readonly List<string> _lines = [];
    private readonly string? _path;
    private int _fileLines;

    /// <param name="path">The history file (null: memory only).</param>
    public ConsoleHistory(string? path, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _path = path;
        if (path is null) return;
        try
        {
            if (File.Exists(path))
            {
                var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
                _fileLines = lines.Count;
                _lines.AddRange(lines.Skip(Math.Max(0, lines.Count - capacity)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _path = null;
        }
    }

    /// <summary>$PERSONALIZATION_CONSOLE_HISTORY, else ~/.personalization_console_history (null where there is no home).</summary>
    public static string? DefaultPath()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } configured) return configured;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, FileName);
    }

    public int Capacity { get; }

    public int Count => _lines.Count;

    public string this[int index] => _lines[index];

    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Remembers a line as typed, less the blanks around it (a completion leaves one after the last word).</summary>
    public void Add(string line)
    {
        line = line.Trim();
        if (line.Length == 0 || line.Contains('\n') || line.Contains('\r')) return;
        if (_lines.Count > 0 && _lines[^1] == line) return;
        _lines.Add(line);
        if (_lines.Count > Capacity) _lines.RemoveRange(0, _lines.Count - Capacity);
        Save(line);
    }

    private void Save(string line)
    {
        if (_path is null) return;
        try
        {
            if (_fileLines + 1 > Capacity + Capacity / 2)
            {
                var temporary = _path + ".tmp";
                File.WriteAllLines(temporary, _lines);
                OwnerOnly(temporary);
                File.Move(temporary, _path, overwrite: true);
                _fileLines = _lines.Count;
                return;
            }

            var created = !File.Exists(_path);
            File.AppendAllText(_path, line + "\n");
            if (created) OwnerOnly(_path);
            _fileLines++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unwritable home: the session keeps its history in memory.
        }
    }

    private static void OwnerOnly(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
