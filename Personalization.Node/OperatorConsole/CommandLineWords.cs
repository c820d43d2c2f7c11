using System.Text;

namespace Personalization.Node.OperatorConsole;

/// <summary>
/// Splits a line typed at the <c>pz&gt;</c> prompt into words: blanks separate, "double" or 'single' quotes keep a
/// folder with spaces together. A one-shot command gets its words from the shell instead.
/// </summary>
public static class CommandLineWords
{
    /// <summary>The words, or an error for an unterminated quote.</summary>
    public static (IReadOnlyList<string> Words, string? Error) Split(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q) quote = null;
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (quote is not null) return ([], $"unterminated {quote} quote");
        if (inWord) words.Add(current.ToString());
        return (words, null);
    }
}
