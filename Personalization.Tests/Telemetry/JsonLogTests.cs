using System.Diagnostics;
using System.Text.Json;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Local;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Telemetry;

/// <summary>
/// Logs (docs/DESIGN.md, "Logs"): one start and stop of a node process with <c>Logging__Format=json</c>, as the pods
/// run. Every line it writes is one JSON object with a timestamp, level, category, message and its named properties;
/// Akka's lines come through the same logger once (no second console logger, no plain-text line); a line written while
/// serving a request carries that request's trace id (from its traceparent).
/// </summary>
public sealed class JsonLogTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_line_of_a_node_in_json_mode_is_a_json_object_with_the_fields_and_request_lines_carry_the_trace_id()
    {
        const string topic = "listening-events";
        using var kafka = EmbeddedKafkaBroker.Start(brokers: 1);
        kafka.CreateTopic(topic, 2, 1);
        kafka.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(topic), 1, 1);
        var options = TestNode.CreateOptions(kafka.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString());
        var node = await LocalNodeProcess.StartAsync("json", options, TimeSpan.FromSeconds(90), environment: new Dictionary<string, string> { ["Logging__Format"] = "json" });
        var trace = ActivityTraceId.CreateRandom();
        try
        {
            // A hot swap (of the same folder) logs inside its request.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/model/load")
            {
                Content = new StringContent($$"""{"path":"{{RepositoryPaths.DefaultModel}}"}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            (await node.Http.SendAsync(request)).EnsureSuccessStatusCode();
            await node.StopAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await node.DisposeAsync();
        }

        var lines = node.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        output.WriteLine($"{lines.Length} lines:\n{string.Join('\n', lines)}");
        Assert.True(lines.Length > 10, node.Log);
        var entries = new List<JsonElement>();
        foreach (var line in lines)
        {
            JsonElement entry;
            try
            {
                entry = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"not a JSON line: {line} ({e.Message})");
            }

            Assert.Equal(JsonValueKind.Object, entry.ValueKind);
            foreach (var field in new[] { "Timestamp", "EventId", "LogLevel", "Category", "Message" })
                Assert.True(entry.TryGetProperty(field, out _), $"no {field}: {line}");
            Assert.True(DateTimeOffset.TryParse(entry.GetProperty("Timestamp").GetString(), out _), line);
            entries.Add(entry);
        }

        // Named message templates: the engine's own lines carry their properties in State, with the template.
        var consuming = Assert.Single(entries, e => e.GetProperty("Message").GetString()!.StartsWith("Consuming " + topic, StringComparison.Ordinal));
        Assert.Equal(topic, consuming.GetProperty("State").GetProperty("Topic").GetString());
        Assert.Contains("{Topic}", consuming.GetProperty("State").GetProperty("{OriginalFormat}").GetString());

        // Akka's lines: through Microsoft.Extensions.Logging, once each.
        var akka = entries.Where(e => e.GetProperty("Category").GetString()!.StartsWith("Akka", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(akka);
        var assigned = Assert.Single(akka, e => e.GetProperty("Message").GetString()!.StartsWith($"Kafka {topic}/", StringComparison.Ordinal)
                                                && e.GetProperty("Message").GetString()!.Contains("assigned partitions", StringComparison.Ordinal));
        Assert.Equal(topic, assigned.GetProperty("State").GetProperty("Topic").GetString()); // Akka's named template properties too
        Assert.StartsWith("akka://", assigned.GetProperty("State").GetProperty("ActorPath").GetString());
        Assert.DoesNotContain(akka, e => e.GetProperty("Message").GetString()!.StartsWith("[INFO]", StringComparison.Ordinal)); // no second text header
        var repeated = lines.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, "lines written twice:\n" + string.Join('\n', repeated));

        // The line written while serving the traced request carries its trace id.
        var swap = Assert.Single(entries, e => e.GetProperty("Message").GetString()!.Contains("(load 2 of this node)", StringComparison.Ordinal));
        var scopes = swap.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Contains(scopes, s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out var id) && id.GetString() == trace.ToHexString());
        Assert.Contains(scopes, s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("SpanId", out _));
    }
}
