using System.Text.RegularExpressions;

namespace Personalization.Actors.Persistence;

internal static partial class CheckpointTableName
{
    /// <summary>The name goes into SQL text: only a plain identifier is accepted.</summary>
    public static string Validate(string name) =>
        Identifier().IsMatch(name) ? name : throw new ArgumentException($"checkpoint table name \"{name}\" is not a plain SQL identifier (letters, digits, _)");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
