using System.ComponentModel.DataAnnotations;

namespace Personalization.Node.Hosting;

/// <summary>
/// Everything a node is configured with. Bound from the "Personalization" configuration section, so every key can
/// come from appsettings, the environment (<c>Personalization__Kafka__BootstrapServers</c>) or the command line.
/// </summary>
public sealed class NodeOptions
{
    public const string Section = "Personalization";

    public HttpOptions Http { get; set; } = new();

    public KafkaOptions Kafka { get; set; } = new();

    public StoreOptions Store { get; set; } = new();

    public ModelOptions Model { get; set; } = new();

    public ClusterOptions Cluster { get; set; } = new();

    public SessionOptions Sessions { get; set; } = new();

    public ConsoleOptions Console { get; set; } = new();

    public sealed class HttpOptions
    {
        /// <summary>Interface to listen on; 0.0.0.0 in a pod, 127.0.0.1 is fine on a laptop.</summary>
        public string Host { get; set; } = "0.0.0.0";

        /// <summary>0 picks a free port (tests).</summary>
        public int Port { get; set; } = 8080;

        /// <summary>Largest POST /events body; a larger one is refused with 413 before it is read whole.</summary>
        [Range(1024, 256 * 1024 * 1024)]
        public int MaxEventsBodyBytes { get; set; } = 8 * 1024 * 1024;

        /// <summary>Kestrel's limit on the request line (method, path, query); longer → 414.</summary>
        [Range(1024, 1024 * 1024)]
        public int MaxRequestLineBytes { get; set; } = 8 * 1024;

        /// <summary>Kestrel's limit on all request headers together; more → 431.</summary>
        [Range(4 * 1024, 1024 * 1024)]
        public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

        /// <summary>Public requests (users, events) served at once; more wait in the queue.</summary>
        [Range(1, 100_000)]
        public int MaxConcurrentRequests { get; set; } = 128;

        /// <summary>
        /// Public requests waiting for a slot; past it a request is refused at once with 429 and Retry-After. Small on
        /// purpose: a queue only turns overload into seconds of latency for everyone.
        /// </summary>
        [Range(0, 100_000)]
        public int RequestQueueLimit { get; set; } = 32;

        /// <summary>The Retry-After of a 429, in seconds.</summary>
        [Range(1, 3600)]
        public int RetryAfterSeconds { get; set; } = 1;
    }

    public sealed class KafkaOptions
    {
        public string BootstrapServers { get; set; } = "localhost:9092";

        public string Topic { get; set; } = "listening-events";

        public string GroupId { get; set; } = "personalization";

        /// <summary>Partitions of the topic = shards of the user region. Must match the topic.</summary>
        public int Partitions { get; set; } = 12;

        public int MaxInFlightPerPartition { get; set; } = 20_000;

        public int SessionTimeoutMs { get; set; } = 10_000;

        /// <summary>A partition whose oldest unacknowledged event waits this long is read again (lost events; see DESIGN.md).</summary>
        public double RedeliveryTimeoutSeconds { get; set; } = 30;

        /// <summary>False: the node serves queries and accepts HTTP events but consumes nothing (a query-only node).</summary>
        public bool Consume { get; set; } = true;

        /// <summary>Invalid records go to "&lt;topic&gt;.dlq".</summary>
        public string DeadLetterTopic => Personalization.Actors.Kafka.DeadLetterProducer.DeadLetterTopicFor(Topic);
    }

    public sealed class StoreOptions
    {
        /// <summary>sqlite (single node) or postgresql (cluster).</summary>
        public string Provider { get; set; } = "sqlite";

        public string ConnectionString { get; set; } = "Data Source=data/checkpoints.db";
    }

    public sealed class ModelOptions
    {
        /// <summary>A model folder (manifest.json, items.txt, step.onnx, score.onnx).</summary>
        public string Path { get; set; } = "models/default";

        public int MaxBatch { get; set; } = 256;
    }

    public sealed class ClusterOptions
    {
        public string SystemName { get; set; } = "personalization";

        /// <summary>Address the node binds to.</summary>
        public string Hostname { get; set; } = "127.0.0.1";

        /// <summary>Address other nodes reach it at (a pod's stable DNS name); empty: <see cref="Hostname"/>.</summary>
        public string PublicHostname { get; set; } = "";

        /// <summary>0 picks a free port (tests, single node).</summary>
        public int Port { get; set; } = 4053;

        /// <summary>akka.tcp://personalization@host:port, comma separated. Empty: the node forms a cluster of its own.</summary>
        public string SeedNodes { get; set; } = "";

        /// <summary>
        /// How long the split-brain resolver (keep-majority) waits for a stable view before downing unreachable nodes.
        /// A killed node's users wait this long (plus the Kafka session timeout) before they move.
        /// </summary>
        public double StableAfterSeconds { get; set; } = 20;

        public string[] SeedNodeList => SeedNodes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public sealed class SessionOptions
    {
        public int RecentItems { get; set; } = 50;

        public double CheckpointIntervalSeconds { get; set; } = 2;

        public int CheckpointEveryEvents { get; set; } = 200;

        public double IdleTimeoutSeconds { get; set; } = 120;
    }

    public sealed class ConsoleOptions
    {
        /// <summary>
        /// Bearer token of the operator console's admin API (/admin/…). Empty: the admin API answers only requests
        /// from loopback (127.0.0.1, ::1), so a node without a token cannot be steered from the network.
        /// </summary>
        public string Token { get; set; } = "";

        public bool HasToken => !string.IsNullOrWhiteSpace(Token);
    }
}
