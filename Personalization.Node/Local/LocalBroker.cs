using System.Diagnostics;

namespace Personalization.Node.Local;

/// <summary>The embedded Kafka broker in a process of its own (`personalization broker`), so nodes can die and come back around it.</summary>
public sealed class LocalBroker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _addressFile;

    private LocalBroker(Process process, string addressFile, string bootstrapServers)
    {
        _process = process;
        _addressFile = addressFile;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    public static async Task<LocalBroker> StartAsync(string topic, int partitions, CancellationToken cancellationToken)
    {
        var addressFile = Path.Combine(Path.GetTempPath(), $"personalization-broker-{Guid.NewGuid():N}.address");
        var start = LocalNodeProcess.SelfCommand($"broker --brokers 3 --topic {topic} --partitions {partitions} --address-file {addressFile}");
        start.RedirectStandardOutput = true;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(addressFile) || new FileInfo(addressFile).Length == 0)
        {
            if (process.HasExited) throw new InvalidOperationException($"the broker process exited with {process.ExitCode}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the broker process did not report its address within 30 s");
            await Task.Delay(100, cancellationToken);
        }

        return new LocalBroker(process, addressFile, (await File.ReadAllTextAsync(addressFile, cancellationToken)).Trim());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        File.Delete(_addressFile);
    }
}
