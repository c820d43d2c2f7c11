using Microsoft.Extensions.Logging;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Hosting;
using Personalization.Node.OperatorConsole;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Spectre.Console;
using Xunit;

namespace Personalization.Tests.OperatorConsole;

/// <summary>
/// One embedded broker and two whole nodes (each a cluster of one) for the console tests: <see cref="Open"/> has no
/// console token (tests call it from loopback), <see cref="Secured"/> has <see cref="Token"/>.
/// </summary>
public sealed class ConsoleNodeFixture : IAsyncLifetime
{
    public const string Token = "console-test-token-7f3a";
    public const int Partitions = 4;

    public EmbeddedKafkaBroker Broker { get; private set; } = null!;

    public TestNode Open { get; private set; } = null!;

    public TestNode Secured { get; private set; } = null!;

    /// <summary>Every log line of <see cref="Open"/> (the audit trail among them).</summary>
    public CapturedLogs OpenLogs { get; } = new();

    public async Task InitializeAsync()
    {
        Broker = EmbeddedKafkaBroker.Start(brokers: 1);
        Open = await TestNode.StartAsync(Options(), b => b.Logging.AddProvider(OpenLogs));
        var secured = Options();
        secured.Console.Token = Token;
        Secured = await TestNode.StartAsync(secured);
    }

    /// <summary>A console session on <paramref name="node"/> whose output is plain text in the returned writer.</summary>
    public static (ConsoleSession Session, IAnsiConsole Console, StringWriter Output) Console(TestNode node, string? token = null)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200; // wide enough that no table cell wraps
        var (clients, error) = ConsoleConnection.Create([node.Http.BaseAddress!.ToString()], token, TimeSpan.FromSeconds(30));
        Assert.Null(error);
        return (new ConsoleSession(console, clients), console, output);
    }

    public static AdminClient Client(TestNode node, string? token = null) =>
        ConsoleConnection.Create([node.Http.BaseAddress!.ToString()], token, TimeSpan.FromSeconds(30)).Clients.Single();

    private NodeOptions Options() =>
        TestNode.CreateOptions(Broker.BootstrapServers, KafkaTestKit.NewTopic(Broker, Partitions), Partitions, "sqlite", EngineTestContext.SqliteConnectionString());

    public async Task DisposeAsync()
    {
        await Secured.DisposeAsync();
        await Open.DisposeAsync();
        Broker.Dispose();
    }
}
