using System.Net;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Hosting;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Security;

/// <summary>A node whose admin API has a port of its own.</summary>
public sealed class AdminListenerNode : IAsyncLifetime
{
    private const int Partitions = 2;
    private EmbeddedKafkaBroker? _broker;
    private TestNode? _node;
    private int _adminPort;

    public TestNode Node => _node!;

    public HttpClient Admin { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        _broker = EmbeddedKafkaBroker.Start(brokers: 1);
        var options = TestNode.CreateOptions(_broker.BootstrapServers, KafkaTestKit.NewTopic(_broker, Partitions), Partitions, "sqlite",
            EngineTestContext.SqliteConnectionString());
        _adminPort = FreePorts.Next();
        options.Http.AdminPort = _adminPort;
        _node = await TestNode.StartAsync(options);
        Admin.BaseAddress = new Uri($"http://127.0.0.1:{_adminPort}");
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        if (_node is not null) await _node.DisposeAsync();
        _broker?.Dispose();
    }
}

/// <summary>With an admin port of its own, the admin API answers only there; the public port serves the product API.</summary>
public sealed class AdminListenerTests(AdminListenerNode node) : IClassFixture<AdminListenerNode>
{
    private readonly HttpClient _admin = node.Admin;

    [Fact]
    public async Task The_public_port_does_not_serve_the_admin_API()
    {
        var response = await node.Node.Http.GetAsync("/admin/cluster");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("listener of its own", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_admin_port_serves_the_admin_API()
    {
        var response = await _admin.GetAsync("/admin/cluster");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_admin_port_also_answers_the_product_queries_the_console_uses()
    {
        var response = await _admin.GetAsync("/users/someone/recommendations?k=3");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void An_admin_port_equal_to_the_public_port_is_refused_with_a_sentence()
    {
        var options = new NodeOptions();
        options.Http.AdminPort = options.Http.Port;

        Assert.Contains("port of its own", NodeConfiguration.Validate(options));
    }
}
