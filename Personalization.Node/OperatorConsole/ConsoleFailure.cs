namespace Personalization.Node.OperatorConsole;

/// <summary>Exit codes of the console verb, so scripts can tell a refused command from an unreachable node.</summary>
public static class ConsoleExitCodes
{
    public const int Ok = 0;

    /// <summary>The node answered and refused (bad folder, unknown member, …).</summary>
    public const int Refused = 1;

    /// <summary>Unknown command or bad arguments: nothing was sent.</summary>
    public const int Usage = 2;

    public const int Unreachable = 3;

    /// <summary>401/403: missing or wrong console token, or a node without a token asked from the network.</summary>
    public const int Unauthorized = 4;
}

/// <summary>A command that did not succeed, with the sentence to print and the exit code it means.</summary>
public sealed class ConsoleFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
