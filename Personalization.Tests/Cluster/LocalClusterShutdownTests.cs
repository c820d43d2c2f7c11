using System.Diagnostics;
using Personalization.Node.Hosting;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Cluster;

/// <summary>
/// `local-cluster` run as a process and stopped the two ways an operator stops it (Ctrl+C = SIGINT, SIGTERM): it
/// exits, and nothing it started is left — no node, no broker, no PostgreSQL server, no data folder.
/// </summary>
public sealed class LocalClusterShutdownTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(150);

    /// <summary>Node shutdown takes seconds when broker and database are up; far below the node's own budget plus local-cluster's margin.</summary>
    private static readonly TimeSpan ExitBudget = TimeSpan.FromSeconds(40);

    [Theory]
    [InlineData(LocalClusterProcess.SIGTERM)]
    [InlineData(LocalClusterProcess.SIGINT)]
    public async Task Stopped_by_a_signal_it_stops_every_process_it_started_and_removes_its_data_folder(int signal)
    {
        await using var cluster = await LocalClusterProcess.StartAsync($"--nodes 2 --partitions 4 --rate 20 --http-port {FreePorts.Next()}", ReadyTimeout);
        var children = ProcessTree.Descendants(cluster.Id);
        Assert.Equal(2, children.Count(c => c.CommandLine.Contains("personalization.dll run", StringComparison.Ordinal)));
        Assert.Single(children, c => c.CommandLine.Contains("personalization.dll broker", StringComparison.Ordinal));
        Assert.NotEmpty(cluster.ProcessesUsingTempFolder()); // the PostgreSQL server, started out of the process tree by pg_ctl
        Assert.Single(Directory.GetDirectories(cluster.TempFolder, "pz-pg-*"));

        var stopwatch = Stopwatch.StartNew();
        cluster.Signal(signal);
        var exited = await cluster.WaitForExitAsync(ExitBudget);
        output.WriteLine($"signal {signal}: local-cluster exited after {stopwatch.Elapsed.TotalSeconds:0.0} s\n{cluster.Output}");

        Assert.True(exited, $"local-cluster still running {ExitBudget.TotalSeconds} s after signal {signal}");
        Assert.Equal(0, cluster.ExitCode);
        Assert.DoesNotContain(children, c => c.IsRunning);
        Assert.Empty(cluster.ProcessesUsingTempFolder());
        Assert.Empty(Directory.GetDirectories(cluster.TempFolder, "pz-pg-*"));
        Assert.Empty(Directory.GetFiles(cluster.TempFolder, "personalization-broker-*"));
        Assert.DoesNotContain("killed", cluster.Output);
    }
}
