using System.Runtime.InteropServices;

namespace Personalization.Node.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM as a cancellation token, with the runtime's default termination cancelled: the command
/// decides when it is done. System.CommandLine's own handling is switched off (see Program.cs) because it gives an
/// action 2 s and then returns from Main, which cut `local-cluster`'s clean-up short (its nodes, broker and
/// PostgreSQL were left running).
/// </summary>
public sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _signalled = new();
    private readonly PosixSignalRegistration[] _registrations;

    public TerminationSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public CancellationToken Token => _signalled.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            _signalled.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _signalled.Dispose();
    }
}
