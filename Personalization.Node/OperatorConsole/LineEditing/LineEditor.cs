using System.Text;

namespace Personalization.Node.OperatorConsole.LineEditing;

/// <summary>Where the editor's keys come from: the terminal (<see cref="TerminalKeys"/>) or a script in tests.</summary>
public interface IKeyInput
{
    /// <summary>The next key, not echoed; blocks until there is one.</summary>
    ConsoleKeyInfo ReadKey();
}

/// <summary>Keys of the process's terminal, not echoed (the editor draws the line itself).</summary>
public sealed class TerminalKeys : IKeyInput
{
    public ConsoleKeyInfo ReadKey() => Console.ReadKey(intercept: true);
}

/// <summary>What Tab offers at the cursor: the words that may replace the text from <see cref="Start"/> to the cursor.</summary>
public sealed record Completion(int Start, IReadOnlyList<string> Candidates)
{
    public static readonly Completion None = new(0, []);
}

/// <summary>
/// The <c>pz&gt;</c> prompt's line editor, on <see cref="Console.ReadKey(bool)"/> and a few ANSI sequences (carriage
/// return, erase to end of line, cursor left), emacs/readline keys:
/// <list type="bullet">
/// <item>← → Home End, Ctrl-A Ctrl-E Ctrl-B Ctrl-F, Alt/Ctrl-← → by word; Backspace, Delete, Ctrl-D (on an empty line:
/// end of input), Ctrl-K Ctrl-U Ctrl-W (kill to end, to start, the word before);</item>
/// <item>↑ ↓ Ctrl-P Ctrl-N: history (<see cref="ConsoleHistory"/>; the line being typed comes back after the newest);</item>
/// <item>Tab: completes the word at the cursor — one candidate is inserted (with a space after it unless it ends
/// in '/'), several extend the word to their common prefix, and a second Tab lists them;</item>
/// <item>Ctrl-C: drops the line (a new prompt, like a shell); Ctrl-L: clears the screen; Enter: the line.</item>
/// </list>
/// A line longer than the terminal scrolls sideways in one row (commands are short).
/// <para>Why not a package: the only line-editing library served here, RadLine 0.6.0 (a preview; ReadLine and
/// PrettyPrompt are not served), is built against Spectre.Console 0.43 and does not load beside the 0.57.2 this
/// project uses (TypeLoadException: Spectre.Console.Style moved to Spectre.Console.Ansi); taking it would mean an
/// older Spectre.Console for the whole solution. This editor is ~300 lines and unit-tested key by key.</para>
/// </summary>
public sealed class LineEditor
{
    private const string Bell = "\a";
    private readonly IKeyInput _keys;
    private readonly TextWriter _out;
    private readonly ConsoleHistory _history;
    private readonly Func<string, int, Completion>? _complete;
    private readonly Func<int> _width;
    private readonly StringBuilder _line = new();
    private int _cursor;
    private int _scroll;
    private string _prompt = "";

    /// <param name="complete">Line and cursor → what Tab offers (null: no completion).</param>
    /// <param name="width">The terminal's width in columns now (it may change between keys).</param>
    public LineEditor(IKeyInput keys, TextWriter output, ConsoleHistory history, Func<string, int, Completion>? complete = null, Func<int>? width = null)
    {
        _keys = keys;
        _out = output;
        _history = history;
        _complete = complete;
        _width = width ?? (() => 80);
    }

    public ConsoleHistory History => _history;

    /// <summary>Reads one line; null at end of input (Ctrl-D on an empty line). The line is added to the history.</summary>
    public string? ReadLine(string prompt)
    {
        _prompt = prompt;
        _line.Clear();
        _cursor = 0;
        _scroll = 0;
        var browsing = _history.Count; // index into the history; Count = the line being typed
        string? draft = null;
        var lastWasTab = false;
        Render();
        while (true)
        {
            var key = _keys.ReadKey();
            var tab = key.Key == ConsoleKey.Tab && key.Modifiers == 0;
            var ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
            var alt = (key.Modifiers & ConsoleModifiers.Alt) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    _cursor = _line.Length;
                    Render();
                    _out.Write("\r\n");
                    _out.Flush();
                    var line = _line.ToString();
                    _history.Add(line);
                    return line;
                case ConsoleKey.C when ctrl:
                    _cursor = _line.Length;
                    Render();
                    _out.Write("^C\r\n");
                    _line.Clear();
                    _cursor = 0;
                    _scroll = 0;
                    browsing = _history.Count;
                    draft = null;
                    break;
                case ConsoleKey.D when ctrl:
                    if (_line.Length == 0)
                    {
                        _out.Write("\r\n");
                        _out.Flush();
                        return null;
                    }

                    if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                    break;
                case ConsoleKey.L when ctrl:
                    _out.Write("\x1b[2J\x1b[H");
                    break;
                case ConsoleKey.A when ctrl:
                case ConsoleKey.Home:
                    _cursor = 0;
                    break;
                case ConsoleKey.E when ctrl:
                case ConsoleKey.End:
                    _cursor = _line.Length;
                    break;
                case ConsoleKey.LeftArrow when ctrl || alt:
                case ConsoleKey.B when alt:
                    _cursor = WordStartBefore(_cursor);
                    break;
                case ConsoleKey.RightArrow when ctrl || alt:
                case ConsoleKey.F when alt:
                    _cursor = WordEndAfter(_cursor);
                    break;
                case ConsoleKey.B when ctrl:
                case ConsoleKey.LeftArrow:
                    if (_cursor > 0) _cursor--;
                    break;
                case ConsoleKey.F when ctrl:
                case ConsoleKey.RightArrow:
                    if (_cursor < _line.Length) _cursor++;
                    break;
                case ConsoleKey.Backspace:
                case ConsoleKey.H when ctrl:
                    if (_cursor > 0) _line.Remove(--_cursor, 1);
                    break;
                case ConsoleKey.Delete:
                    if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                    break;
                case ConsoleKey.K when ctrl:
                    _line.Length = _cursor;
                    break;
                case ConsoleKey.U when ctrl:
                    _line.Remove(0, _cursor);
                    _cursor = 0;
                    break;
                case ConsoleKey.W when ctrl:
                {
                    var start = WordStartBefore(_cursor);
                    _line.Remove(start, _cursor - start);
                    _cursor = start;
                    break;
                }

                case ConsoleKey.UpArrow:
                case ConsoleKey.P when ctrl:
                    if (browsing > 0)
                    {
                        if (browsing == _history.Count) draft = _line.ToString();
                        browsing--;
                        Replace(_history[browsing]);
                    }
                    else
                    {
                        _out.Write(Bell);
                    }

                    break;
                case ConsoleKey.DownArrow:
                case ConsoleKey.N when ctrl:
                    if (browsing < _history.Count)
                    {
                        browsing++;
                        Replace(browsing == _history.Count ? draft ?? "" : _history[browsing]);
                    }

                    break;
                case ConsoleKey.Tab when tab:
                    Complete(lastWasTab);
                    break;
                default:
                    if (key.KeyChar >= ' ' && !ctrl && key.KeyChar != '\x7f')
                    {
                        _line.Insert(_cursor, key.KeyChar);
                        _cursor++;
                    }

                    break;
            }

            lastWasTab = tab;
            Render();
        }
    }

    private void Replace(string text)
    {
        _line.Clear().Append(text);
        _cursor = _line.Length;
    }

    private void Complete(bool secondTab)
    {
        if (_complete is null)
        {
            _out.Write(Bell);
            return;
        }

        var text = _line.ToString();
        var offer = _complete(text, _cursor);
        var start = Math.Clamp(offer.Start, 0, _cursor);
        var word = text[start.._cursor];
        var candidates = offer.Candidates.Distinct(StringComparer.Ordinal).ToList();
        if (candidates.Count == 0)
        {
            _out.Write(Bell);
            return;
        }

        if (candidates.Count == 1)
        {
            var only = Quote(candidates[0]);
            var after = only.EndsWith('/') ? "" : " ";
            var hasSpace = _cursor < _line.Length && _line[_cursor] == ' ';
            Insert(start, only + (hasSpace ? "" : after));
            if (hasSpace) _cursor++;
            return;
        }

        var common = CommonPrefix(candidates);
        if (common.Length > word.Length)
        {
            Insert(start, Quote(common, closing: false));
            return;
        }

        if (!secondTab)
        {
            _out.Write(Bell);
            return;
        }

        // The list, in columns under the line; then the line again.
        _cursor = _line.Length;
        Render();
        _out.Write("\r\n");
        var width = Math.Max(20, _width());
        var column = Math.Min(width, candidates.Max(c => c.Length) + 2);
        var perRow = Math.Max(1, width / column);
        for (var i = 0; i < candidates.Count; i++)
        {
            _out.Write(candidates[i].PadRight(column));
            if ((i + 1) % perRow == 0 || i == candidates.Count - 1) _out.Write("\r\n");
        }

        _cursor = start + word.Length;
    }

    private void Insert(int start, string replacement)
    {
        _line.Remove(start, _cursor - start).Insert(start, replacement);
        _cursor = start + replacement.Length;
    }

    private static string Quote(string candidate, bool closing = true) =>
        candidate.Any(char.IsWhiteSpace) ? "\"" + candidate + (closing ? "\"" : "") : candidate;

    private static string CommonPrefix(IReadOnlyList<string> words)
    {
        var prefix = words[0];
        foreach (var w in words.Skip(1))
        {
            var n = 0;
            while (n < prefix.Length && n < w.Length && char.ToLowerInvariant(prefix[n]) == char.ToLowerInvariant(w[n])) n++;
            prefix = prefix[..n];
        }

        return prefix;
    }

    private int WordStartBefore(int position)
    {
        var i = position;
        while (i > 0 && _line[i - 1] == ' ') i--;
        while (i > 0 && _line[i - 1] != ' ') i--;
        return i;
    }

    private int WordEndAfter(int position)
    {
        var i = position;
        while (i < _line.Length && _line[i] == ' ') i++;
        while (i < _line.Length && _line[i] != ' ') i++;
        return i;
    }

    /// <summary>Draws the prompt and the visible part of the line, then puts the cursor where it is in the line.</summary>
    private void Render()
    {
        var visible = Math.Max(10, _width() - _prompt.Length - 1);
        if (_cursor < _scroll) _scroll = _cursor;
        if (_cursor > _scroll + visible) _scroll = _cursor - visible;
        if (_scroll > 0 && _line.Length - _scroll < visible) _scroll = Math.Max(0, _line.Length - visible);
        var shown = _line.ToString(_scroll, Math.Min(visible, _line.Length - _scroll));
        _out.Write("\r" + _prompt + shown + "\x1b[K");
        var back = _scroll + shown.Length - _cursor;
        if (back > 0) _out.Write($"\x1b[{back}D");
        _out.Flush();
    }
}
