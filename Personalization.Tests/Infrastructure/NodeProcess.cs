using Personalization.Node.Hosting;
using Personalization.Node.Local;

namespace Personalization.Tests.Infrastructure;

/// <summary>Starts nodes as processes for the tests, through the same launcher as `local-cluster`.</summary>
public static class NodeProcess
{
    public static Task<LocalNodeProcess> StartAsync(NodeOptions options, string name = "node") =>
        LocalNodeProcess.StartAsync(name, options, TimeSpan.FromSeconds(90));
}
