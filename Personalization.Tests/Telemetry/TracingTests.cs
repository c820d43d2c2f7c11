using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Telemetry;
using Personalization.Node.Hosting;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Telemetry;

/// <summary>
/// Traces (docs/DESIGN.md, "Traces"): one span per sampled event from consume to durable acknowledgement, under the
/// producer's W3C traceparent; a span per recommendation query under the request's traceparent. An in-memory
/// <see cref="ActivityListener"/> on the engine's source samples only the trace ids the test made, so nodes of other
/// tests running meanwhile create nothing.
/// </summary>
public sealed class TracingTests(EngineTestContext context, ITestOutputHelper output) : IClassFixture<EngineTestContext>
{
    [Fact]
    public async Task A_sampled_event_is_one_span_from_consume_to_durable_ack_under_the_producers_traceparent()
    {
        var topic = context.CreateTopic(partitions: 2);
        var eventTrace = ActivityTraceId.CreateRandom();
        var producerSpan = ActivitySpanId.CreateRandom();
        var queryTrace = ActivityTraceId.CreateRandom();
        var querySpan = ActivitySpanId.CreateRandom();
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EngineTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> o) =>
                o.Parent.TraceId == eventTrace || o.Parent.TraceId == queryTrace ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var node = await TestNode.StartAsync(TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 2, "sqlite", EngineTestContext.SqliteConnectionString()));
        const string user = "traced-user";
        var delivered = await ProduceAsync(topic, user, $"00-{eventTrace.ToHexString()}-{producerSpan.ToHexString()}-01");
        // An event without a header and one whose producer did not sample: not traced (the listener samples neither).
        await ProduceAsync(topic, user, null);
        await ProduceAsync(topic, user, $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00");

        await Eventually.AssertAsync(() =>
        {
            Assert.Contains(stopped, a => a.TraceId == eventTrace);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(30));
        await Eventually.AssertAsync(async () => Assert.Equal(3, (await node.SessionAsync(user)).EventCount), TimeSpan.FromSeconds(30));

        var span = Assert.Single(stopped, a => a.TraceId == eventTrace);
        output.WriteLine($"{span.DisplayName} {span.Duration.TotalMilliseconds:0.0} ms, tags {string.Join(", ", span.TagObjects.Select(t => $"{t.Key}={t.Value}"))}, events {string.Join(", ", span.Events.Select(e => e.Name))}");
        Assert.Equal($"process {topic}", span.OperationName);
        Assert.Equal(ActivityKind.Consumer, span.Kind);
        Assert.Equal(producerSpan, span.ParentSpanId);
        Assert.True(span.HasRemoteParent);
        Assert.True(span.Recorded);
        Assert.Equal(delivered.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), span.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(delivered.Offset.Value, span.GetTagItem("messaging.kafka.offset"));
        Assert.Equal(user, span.GetTagItem("user.id"));
        Assert.Equal(topic, span.GetTagItem("messaging.destination.name"));
        Assert.Equal("durable", span.GetTagItem(EventSpans.OutcomeTag));
        Assert.NotEqual(ActivityStatusCode.Error, span.Status);
        Assert.Equal(["user.received", "model.stepped", "user.acknowledged"], span.Events.Select(e => e.Name).ToArray());
        Assert.True(span.Events.Last().Timestamp <= span.StartTimeUtc + span.Duration + TimeSpan.FromMilliseconds(1));
        Assert.Single(stopped, a => a.TraceId == eventTrace); // the other two events made no span
        Assert.Single(stopped, a => a.OperationName == $"process {topic}");

        // A query under the request's traceparent: one span with the user id.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/users/{user}/recommendations?k=5");
        request.Headers.Add("traceparent", $"00-{queryTrace.ToHexString()}-{querySpan.ToHexString()}-01");
        (await node.Http.SendAsync(request)).EnsureSuccessStatusCode();
        await Eventually.AssertAsync(() =>
        {
            Assert.Contains(stopped, a => a.TraceId == queryTrace && a.OperationName == EngineTracing.QuerySpanName);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(10));
        var query = Assert.Single(stopped, a => a.TraceId == queryTrace);
        output.WriteLine($"query span {query.Kind} parent {query.ParentSpanId} (sent {querySpan}), parent id {query.ParentId}");
        Assert.Equal(querySpan, query.ParentSpanId);
        Assert.Equal(user, query.GetTagItem("user.id"));
        Assert.Equal(5, query.GetTagItem("personalization.k"));
        Assert.Equal(false, query.GetTagItem("personalization.cold_start"));
    }

    private async Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, string user, string? traceParent)
    {
        LibrdkafkaLoader.EnsureLoaded();
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaEventProducer.CreateConfig(context.Broker.BootstrapServers, "trace-test")).Build();
        var message = new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(user),
            Value = Encoding.UTF8.GetBytes($$"""{"user":"{{user}}","item":"{{context.Offline.Vocabulary.IdAt(1)}}","type":"play"}"""),
        };
        if (traceParent is not null) message.Headers = new Headers { { "traceparent", Encoding.ASCII.GetBytes(traceParent) } };
        return await producer.ProduceAsync(topic, message);
    }

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true, true)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", true, false)]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-later", true, true)] // a later version's extra field
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x", false, false)] // version 00 has exactly 55 bytes
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false, false)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01", false, false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false, false)]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", false, false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01", false, false)]
    [InlineData("garbage", false, false)]
    [InlineData("", false, false)]
    public void Traceparent_headers_are_parsed_by_the_W3C_rules(string header, bool valid, bool sampled)
    {
        Assert.Equal(valid, EngineTracing.TryParseTraceParent(Encoding.ASCII.GetBytes(header), out var context));
        if (!valid) return;
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.SpanId.ToHexString());
        Assert.Equal(sampled, context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void The_exporter_is_off_without_an_endpoint_and_the_sampler_comes_from_the_standard_variables()
    {
        static TracingHosting.TracingSettings Read(params (string Key, string Value)[] values) =>
            TracingHosting.Read(new Microsoft.Extensions.Configuration.ConfigurationBuilder()
                .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build());

        Assert.False(Read().Enabled);
        Assert.False(Read(("OTEL_TRACES_SAMPLER", "always_on")).Enabled);
        Assert.False(Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_SDK_DISABLED", "true")).Enabled);
        Assert.False(Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_TRACES_EXPORTER", "none")).Enabled);
        var on = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"));
        Assert.True(on.Enabled);
        Assert.Equal("parentbased_always_on", on.SamplerDescription);
        Assert.True(Read(("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")).Enabled);
        var ratio = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.01"));
        Assert.Equal("parentbased_traceidratio 0.01", ratio.SamplerDescription);
        Assert.IsType<ParentBasedSampler>(ratio.Sampler!.ToOpenTelemetry());
        Assert.Contains("OTEL_TRACES_SAMPLER", Assert.Throws<ArgumentException>(() => Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"), ("OTEL_TRACES_SAMPLER", "sometimes"))).Message);
        Assert.Contains("OTEL_TRACES_SAMPLER_ARG", Assert.Throws<ArgumentException>(() => Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"), ("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "2"))).Message);
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT", Assert.Throws<ArgumentException>(() => Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"))).Message);
    }

    [Fact]
    public async Task A_node_registers_a_tracer_provider_only_when_an_endpoint_is_configured()
    {
        var options = TestNode.CreateOptions("127.0.0.1:1", "t", 1, "sqlite", EngineTestContext.SqliteConnectionString());
        await using (var off = EngineHost.Build(options))
            Assert.Null(off.Services.GetService<TracerProvider>());
        // Configuration from the command line stands in for the environment here (the test process's must not change).
        await using var on = EngineHost.Build(options, args: ["--OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317", "--OTEL_TRACES_SAMPLER=always_off"]);
        Assert.NotNull(on.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void The_engine_sampler_decides_once_for_a_span_it_was_asked_about_first()
    {
        var sampler = new EngineSampler(TracingHosting.ParseSampler("traceidratio", "0.5"));
        var taken = 0;
        for (var i = 0; i < 2000; i++)
        {
            if (sampler.Sample(false, false, "process t") != EventSampling.Sample) continue;
            taken++;
            // The span created next is sampled whatever its own (new, random) trace id says.
            var decision = sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateRandom(), "process t", ActivityKind.Consumer));
            Assert.Equal(SamplingDecision.RecordAndSample, decision.Decision);
        }

        Assert.InRange(taken, 850, 1150); // the configured rate, not its square
        sampler.Forget();
    }

    [Theory]
    [InlineData("parentbased_traceidratio", "0.3")]
    [InlineData("parentbased_always_on", null)]
    [InlineData("parentbased_always_off", null)]
    [InlineData("always_on", null)]
    [InlineData("always_off", null)]
    public void Under_a_producers_trace_the_engines_decision_from_the_header_is_the_SDK_samplers(string name, string? ratio)
    {
        var spec = TracingHosting.ParseSampler(name, ratio);
        var engine = new EngineSampler(spec);
        var sdk = spec.ToOpenTelemetry();
        for (var i = 0; i < 2000; i++)
        {
            var flag = i % 2 == 0 ? "01" : "00";
            var header = Encoding.ASCII.GetBytes($"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-{flag}");
            Assert.True(EngineTracing.TryReadTraceParent(header, out var sampled));
            Assert.True(EngineTracing.TryParseTraceParent(header, out var parent));
            var expected = sdk.ShouldSample(new SamplingParameters(parent, parent.TraceId, "process t", ActivityKind.Consumer)).Decision == SamplingDecision.RecordAndSample;
            var mine = engine.Sample(true, sampled, "process t");
            Assert.True((expected ? EventSampling.Sample : EventSampling.Drop) == mine, $"{name}: the SDK says {expected}, the engine {mine} for {Encoding.ASCII.GetString(header)}");
            engine.Forget();
        }

        // A plain trace-id ratio needs the producer's trace id: the engine leaves that event to the SDK.
        Assert.Equal(EventSampling.Ask, new EngineSampler(TracingHosting.ParseSampler("traceidratio", "0.3")).Sample(true, true, "process t"));
    }
}
