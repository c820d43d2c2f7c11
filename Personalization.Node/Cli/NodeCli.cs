using System.CommandLine;

namespace Personalization.Node.Cli;

public static class NodeCli
{
    public static RootCommand Build() => new("Personalization: a streaming personalization engine (Kafka → sharded user actors → ONNX sequence model → HTTP)")
    {
        RunCommand.Create(),
        DemoCommand.Create(),
        BrokerCommand.Create(),
        LocalClusterCommand.Create(),
        ConsoleVerb.Create(),
        ReplayCommand.Create(),
    };
}
