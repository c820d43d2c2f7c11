using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Personalization.Actors.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Hosting;
using Personalization.Node.Http;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Engine;

/// <summary>
/// TLS/SASL settings reach the node's Kafka clients. The embedded broker speaks neither, so a node configured for a
/// managed Kafka (SASL_SSL) against it must stay out of service with the reason — never crash, never log the secret.
/// </summary>
public sealed class KafkaSecurityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Password = "not-for-the-log-4f9c";

    [Fact]
    public async Task A_node_configured_for_SASL_SSL_against_a_plaintext_broker_is_not_ready_and_says_why()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        var topic = KafkaTestKit.NewTopic(broker, partitions: 2);
        var options = TestNode.CreateOptions(broker.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Kafka.Config["security.protocol"] = "SASL_SSL";
        options.Kafka.Config["sasl.mechanism"] = "SCRAM-SHA-512";
        options.Kafka.Config["sasl.username"] = "personalization";
        options.Kafka.Config["sasl.password"] = Password;
        Assert.Null(NodeConfiguration.Validate(options));
        var logs = new CapturedLogs();

        await using var app = EngineHost.Build(options, b => b.Logging.AddProvider(logs));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        await Eventually.AssertAsync(async () =>
        {
            using var response = await http.GetAsync("/healthz/ready");
            var health = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.HealthDto);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("up", health!.Checks["cluster"]); // everything else is fine: the reason is Kafka's
            output.WriteLine($"kafka: {health.Checks["kafka"]}");
            Assert.Contains("last client error", health.Checks["kafka"]);
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/live")).StatusCode);

        Assert.Contains("sasl.password=[redacted]", logs.Text);
        Assert.DoesNotContain(Password, logs.Text);
        await app.StopAsync();
    }
}
