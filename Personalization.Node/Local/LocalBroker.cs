using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Personalization.Node.Local;

/// <summary>The embedded Kafka broker in a process of its own (`personalization broker`), so nodes can die and come back around it.</summary>
public sealed class LocalBroker : IAsyncDisposable
{
    private static readonly TimeSpan StopBudget = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly string _addressFile;
    private int _disposed;

    private LocalBroker(Process process, string addressFile, string bootstrapServers)
    {
        _process = process;
        _addressFile = addressFile;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>The operating system's process id.</summary>
    public int Id => _process.Id;

    /// <param name="ownProcessGroup">Out of the caller's process group, so a terminal's Ctrl+C does not stop the broker
    /// under nodes that are still draining; the caller stops it after them.</param>
    public static async Task<LocalBroker> StartAsync(string topic, int partitions, CancellationToken cancellationToken, bool ownProcessGroup = false)
    {
        var addressFile = Path.Combine(Path.GetTempPath(), $"personalization-broker-{Guid.NewGuid():N}.address");
        var start = LocalNodeProcess.SelfCommand($"broker --brokers 3 --topic {topic} --partitions {partitions} --address-file {addressFile}", ownProcessGroup);
        start.RedirectStandardOutput = true;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var broker = new LocalBroker(process, addressFile, "");
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!File.Exists(addressFile) || new FileInfo(addressFile).Length == 0)
            {
                if (process.HasExited) throw new InvalidOperationException($"the broker process exited with {process.ExitCode}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the broker process did not report its address within 30 s");
                await Task.Delay(100, cancellationToken);
            }

            return new LocalBroker(process, addressFile, (await File.ReadAllTextAsync(addressFile, cancellationToken)).Trim());
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGTERM (the broker command stops on it), SIGKILL after a few seconds; removes the address file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_process.HasExited)
        {
            kill(_process.Id, 15);
            using var budget = new CancellationTokenSource(StopBudget);
            try
            {
                await _process.WaitForExitAsync(budget.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        File.Delete(_addressFile);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
