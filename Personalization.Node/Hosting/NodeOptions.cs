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

    public ShutdownOptions Shutdown { get; set; } = new();

    public DataQualityOptions DataQuality { get; set; } = new();

    public ServingOptions Serving { get; set; } = new();

    public FiltersOptions Filters { get; set; } = new();

    /// <summary>
    /// Business filters of answers (README, "Business filters"): the items withdrawn cluster-wide come from
    /// <see cref="KafkaOptions.AvailabilityTopic"/>; attribute terms of requests (<c>include=genre:rock</c>) need a catalog.
    /// </summary>
    public sealed class FiltersOptions
    {
        /// <summary>
        /// A JSON-lines file of item attributes (<c>{"item":"42","genre":"rock"}</c>), read at start; a bad file stops
        /// the start with the line and the reason. Empty: no catalog, and attribute terms are refused with 400.
        /// </summary>
        public string CatalogPath { get; set; } = "";
    }

    public ExperimentOptions Experiments { get; set; } = new();

    /// <summary>Experiments on live traffic (docs/DESIGN.md, "Experiments"); the experiments themselves are data, set through /admin/experiments.</summary>
    public sealed class ExperimentOptions
    {
        /// <summary>Every served list is logged here (key: user; value: JSON, README "Experiments").</summary>
        public string ImpressionsTopic { get; set; } = "impressions";

        /// <summary>False: no impression records (answers still carry recommendation ids; experiments still measure).</summary>
        public bool Impressions { get; set; } = true;

        /// <summary>
        /// Where the node keeps its replica of the experiments and their counts (a SQLite file), so a whole cluster restarted
        /// keeps them; give it a volume that outlives the pod. Empty: memory only (the other nodes' replicas still
        /// restore a restarted node).
        /// </summary>
        public string DataDirectory { get; set; } = "data";

        /// <summary>A user's first play within this many minutes after an experiment's answer scores that answer.</summary>
        public double AttributionWindowMinutes { get; set; } = 30;
    }

    /// <summary>
    /// How a node shares its cores between serving queries and ingesting (docs/DESIGN.md, "Serving while ingesting"):
    /// ingest (user actors, the Kafka stream and poll thread, model steps) runs on threads of its own at a lower OS
    /// priority than HTTP and scoring, so queries keep their latency when the CPU runs out and ingest slows instead.
    /// </summary>
    public sealed class ServingOptions
    {
        /// <summary>How many nice steps the ingest threads run below the process (serving), 0 (same priority) to 19. Linux only; elsewhere ignored.</summary>
        public int IngestNice { get; set; } = 10;

        /// <summary>Threads of the ingest dispatcher; 0: one per core.</summary>
        public int IngestThreads { get; set; }
    }

    public sealed class HttpOptions
    {
        /// <summary>Interface to listen on; 0.0.0.0 in a pod, 127.0.0.1 is fine on a laptop.</summary>
        public string Host { get; set; } = "0.0.0.0";

        /// <summary>0 picks a free port (tests).</summary>
        public int Port { get; set; } = 8080;

        /// <summary>
        /// The admin API's own port (the manifests set 9090, which the client Service does not expose): then /admin
        /// answers only there, and the public port answers 404 for it. 0: /admin is served on <see cref="Port"/>.
        /// </summary>
        public int AdminPort { get; set; }

        /// <summary>URLs Kestrel listens on: the public one, and the admin one when it is its own.</summary>
        public string[] Urls => AdminPort > 0 ? [$"http://{Host}:{Port}", $"http://{Host}:{AdminPort}"] : [$"http://{Host}:{Port}"];

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

        /// <summary>
        /// How long a recommendations query waits for the user's actor. Past it the answer is degraded but on time:
        /// the last list this node served the user (with its age), else the popular items — never an error after
        /// seconds (a shard moving after a node died takes ~20 s).
        /// </summary>
        [Range(10, 60_000)]
        public int QueryTimeoutMs { get; set; } = 1000;

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

        /// <summary>A partition whose oldest unacknowledged event waits this long is read again (lost events; docs/DESIGN.md, "Delivery protocol").</summary>
        public double RedeliveryTimeoutSeconds { get; set; } = 30;

        /// <summary>A failed ingest stream is started again after this wait, doubled on each failure up to the maximum.</summary>
        public double RestartMinBackoffSeconds { get; set; } = 1;

        public double RestartMaxBackoffSeconds { get; set; } = 30;

        /// <summary>
        /// Ingest that has kept failing for this long makes the node not live (<c>/healthz/live</c> 503), so the
        /// orchestrator replaces it; a restarted stream that runs 30 s ends the failure.
        /// </summary>
        public double UnhealthyAfterSeconds { get; set; } = 120;

        /// <summary>False: the node serves queries and accepts HTTP events but consumes nothing (a query-only node).</summary>
        public bool Consume { get; set; } = true;

        /// <summary>
        /// librdkafka properties for every Kafka client of the node (consumer, event producer, DLQ producer): TLS,
        /// SASL (PLAIN, SCRAM, OAUTHBEARER), timeouts. Keys as librdkafka spells them (<c>security.protocol</c>) or,
        /// where a name cannot hold '.', with '_' or a nested section for each '.' (<c>security_protocol</c>,
        /// <c>security__protocol</c> in an environment variable). Secrets belong in the environment (a Kubernetes
        /// Secret), never in a file; their values are never logged. Settings the engine relies on (group.id,
        /// enable.auto.commit, partitioner, acks, …) cannot be changed here: the node refuses to start.
        /// </summary>
        public Dictionary<string, string> Config { get; set; } = new(StringComparer.Ordinal);

        /// <summary>Invalid records go to "&lt;topic&gt;.dlq".</summary>
        public string DeadLetterTopic => Personalization.Actors.Kafka.Producers.DeadLetterProducer.DeadLetterTopicFor(Topic);

        /// <summary>
        /// The compacted topic of item availability (key = item id, value <c>{"item","available","reason"}</c>, a
        /// tombstone re-enables): every node reads all of it, so an item withdrawn there leaves every answer of every
        /// node. Its bad records go to "&lt;topic&gt;.dlq". A topic that does not exist withdraws nothing.
        /// </summary>
        public string AvailabilityTopic { get; set; } = "item-availability";
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

        /// <summary>
        /// akka.tcp://personalization@host:port, comma separated (<see cref="Discovery"/> <c>seeds</c>). Empty: the node
        /// forms a cluster of its own.
        /// </summary>
        public string SeedNodes { get; set; } = "";

        /// <summary>
        /// How the node finds its cluster: <c>seeds</c> (default: <see cref="SeedNodes"/>, as <c>local-cluster</c> and bare
        /// processes do) or <c>kubernetes</c> (Akka.Management Cluster Bootstrap: the pods are found through the
        /// Kubernetes API by <see cref="BootstrapOptions.PodLabelSelector"/>, probe each other on the management port,
        /// and join or form the cluster; <see cref="SeedNodes"/> must then be empty). k8s/ uses <c>kubernetes</c>.
        /// </summary>
        public string Discovery { get; set; } = ClusterFormation.Seeds;

        /// <summary>Cluster Bootstrap with Kubernetes API discovery (<see cref="Discovery"/> <c>kubernetes</c>).</summary>
        public BootstrapOptions Bootstrap { get; set; } = new();

        /// <summary>
        /// How long the split-brain resolver (keep-majority) waits for a stable view before downing unreachable nodes.
        /// A killed node's users wait this long (plus the Kafka session timeout) before they move.
        /// </summary>
        public double StableAfterSeconds { get; set; } = 20;

        public string[] SeedNodeList => SeedNodes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        /// <summary>TLS between nodes; off while no certificate is set.</summary>
        public RemotingTlsOptions Tls { get; set; } = new();

        /// <summary>
        /// <b>Test only</b> (the fault suite's network partition; off by default, never in production): remoting runs
        /// through Akka.Remote's throttler transport adapter, which makes the address scheme <c>akka.trttl.tcp</c> (every
        /// node of the cluster must agree), and the admin API gets <c>POST /admin/faults/network/cut|heal</c>, which
        /// drops (blackholes) or restores all remoting traffic between this node and a peer. The node logs a warning at
        /// start while it is on. docs/DESIGN.md, "Network fault injection".
        /// </summary>
        public bool NetworkFaultInjection { get; set; }
    }

    /// <summary>
    /// Akka.Management Cluster Bootstrap with Akka.Discovery.KubernetesApi (<see cref="ClusterOptions.Discovery"/>
    /// <c>kubernetes</c>): the pod lists the pods matching <see cref="PodLabelSelector"/> in its namespace (RBAC: get,
    /// list, watch pods), asks each on <see cref="ManagementPort"/> for the seed nodes it knows, and joins them; when
    /// nobody is in a cluster yet and <see cref="RequiredContactPoints"/> pods have answered, the lowest address forms it.
    /// </summary>
    public sealed class BootstrapOptions
    {
        /// <summary>The name discovery looks up; it fills <c>{0}</c> of <see cref="PodLabelSelector"/>.</summary>
        public string ServiceName { get; set; } = "personalization";

        /// <summary>Kubernetes label selector of the engine's pods (<c>{0}</c>: <see cref="ServiceName"/>).</summary>
        public string PodLabelSelector { get; set; } = "app.kubernetes.io/name={0}";

        /// <summary>Namespace to list pods in; empty: the pod's own (from its service account).</summary>
        public string PodNamespace { get; set; } = "";

        /// <summary>Akka.Management's HTTP port (contact-point probing between the pods).</summary>
        public int ManagementPort { get; set; } = 8558;

        /// <summary>The name of the container port that is <see cref="ManagementPort"/> in the pod spec (discovery looks it up by name).</summary>
        public string ManagementPortName { get; set; } = "management";

        /// <summary>Pods that must have been discovered before a new cluster may be formed (set it to the initial replica count).</summary>
        public int RequiredContactPoints { get; set; } = 2;
    }

    /// <summary>Akka remoting over TLS (DotNetty). The password comes from the environment or a Secret, never a file in the image.</summary>
    public sealed class RemotingTlsOptions
    {
        /// <summary>A PKCS#12 (.pfx) file with the node's certificate and private key. Empty: remoting without TLS.</summary>
        public string CertificatePath { get; set; } = "";

        public string CertificatePassword { get; set; } = "";

        /// <summary>Both sides present and check certificates (on by default with TLS).</summary>
        public bool RequireMutualAuthentication { get; set; } = true;

        /// <summary>Accept any certificate (tests with self-signed certificates only).</summary>
        public bool SuppressValidation { get; set; }

        public bool ValidateHostname { get; set; }
    }

    public sealed class SessionOptions
    {
        public int RecentItems { get; set; } = 50;

        public double CheckpointIntervalSeconds { get; set; } = 2;

        public int CheckpointEveryEvents { get; set; } = 200;

        public double IdleTimeoutSeconds { get; set; } = 120;

        /// <summary>The user's recent items are never recommended back; false: they may be (a surface that replays favourites).</summary>
        public bool ExcludeSeen { get; set; } = true;

        /// <summary>
        /// Hold back an item shown in this many answers whose next play was another item, until the user plays it or
        /// the attribution window passes; 0 (default): off. On, every answer is told to the user's actor.
        /// </summary>
        public int SuppressIgnoredAfter { get; set; }
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

    /// <summary>
    /// The data-quality monitors (README, "Data quality"): nothing is refused for what they find, it is counted per
    /// partition (<c>personalization_data_quality_total</c>, <c>GET /admin/ingest</c>). <see cref="NodeConfiguration.Validate"/>
    /// refuses values out of range.
    /// </summary>
    public sealed class DataQualityOptions
    {
        /// <summary>An event whose timestamp is further ahead of the node's clock is counted as future_timestamp.</summary>
        public double FutureToleranceSeconds { get; set; } = 300;

        /// <summary>An event whose timestamp is further behind the node's clock is counted as past_timestamp (7 days).</summary>
        public double PastToleranceSeconds { get; set; } = 7 * 24 * 3600;

        /// <summary>How often each owned partition's watermarks are asked of the broker: lag, record rate, rate drops.</summary>
        public double SampleIntervalSeconds { get; set; } = 5;

        /// <summary>A partition whose record rate falls below this fraction of its baseline has dropped suddenly.</summary>
        public double RateDropRatio { get; set; } = 0.2;

        /// <summary>…and recovers at this fraction of the baseline it dropped from.</summary>
        public double RateRecoverRatio { get; set; } = 0.5;

        /// <summary>Partitions whose baseline is below this many records/s are never judged (quiet partitions).</summary>
        public double RateDropMinPerSecond { get; set; } = 1;

        /// <summary>Samples before a partition's baseline is trusted (after it is assigned to this node).</summary>
        public int RateDropWarmupSamples { get; set; } = 6;

        /// <summary>Weight of each sample in the baseline (an exponentially weighted mean).</summary>
        public double RateBaselineWeight { get; set; } = 0.1;

        /// <summary>A drop that lasts this many samples is the partition's new normal (5 min at 5 s).</summary>
        public int RateDropAcceptAfterSamples { get; set; } = 60;

        public Personalization.Actors.Quality.DataQualitySettings ToSettings() => new()
        {
            SampleInterval = Seconds(SampleIntervalSeconds),
            Timestamps = new Personalization.Actors.Quality.TimestampTolerance { Future = Seconds(FutureToleranceSeconds), Past = Seconds(PastToleranceSeconds) },
            RateDrop = new Personalization.Actors.Quality.RateDropSettings
            {
                DropRatio = RateDropRatio,
                RecoverRatio = RateRecoverRatio,
                MinBaselinePerSecond = RateDropMinPerSecond,
                WarmupSamples = RateDropWarmupSamples,
                BaselineWeight = RateBaselineWeight,
                AcceptAfterSamples = RateDropAcceptAfterSamples,
            },
        };

        // NaN and out-of-range values come back as a zero or huge span the validation names; never an exception here.
        private static TimeSpan Seconds(double seconds) =>
            double.IsFinite(seconds) && Math.Abs(seconds) < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
    }

    /// <summary>
    /// The shutdown budget (SIGTERM, `cluster leave`, downed by the split-brain resolver). The parts nest: the Kafka
    /// drain runs inside coordinated shutdown's service-unbind phase, that phase and the shard hand-off inside the
    /// node's total; Kubernetes' terminationGracePeriodSeconds must exceed preStop + the total (k8s/base).
    /// <see cref="NodeConfiguration.Validate"/> refuses values that do not nest.
    /// </summary>
    public sealed class ShutdownOptions
    {
        /// <summary>Allowance for committing offsets and closing the consumer after the drain's wait for acknowledgements.</summary>
        public const double ConsumerCloseSeconds = 5;

        /// <summary>Allowance for the phases after the hand-off (cluster leave and exit, actor system termination).</summary>
        public const double LeaveSeconds = 10;

        /// <summary>How long ingest waits for in-flight events to be acknowledged (durable) before it stops waiting.</summary>
        public double DrainTimeoutSeconds { get; set; } = 15;

        /// <summary>Coordinated shutdown's service-unbind phase, where the drain runs (Akka's default 5 s would cut it short).</summary>
        public double ServiceUnbindTimeoutSeconds { get; set; } = 25;

        /// <summary>Coordinated shutdown's cluster-sharding-shutdown-region phase: users hand off (each persists a checkpoint).</summary>
        public double ShardHandOffTimeoutSeconds { get; set; } = 10;

        /// <summary>
        /// From the signal to the process's exit, whatever else is gone (broker, peers, database): the host's shutdown
        /// timeout, and a node still running after it exits at once with a log line saying so.
        /// </summary>
        public double TotalSeconds { get; set; } = 45;

        public TimeSpan DrainTimeout => TimeSpan.FromSeconds(DrainTimeoutSeconds);

        /// <summary>The longest a caller waits for the whole drain: acknowledgements, commit, consumer close.</summary>
        public TimeSpan DrainBudget => TimeSpan.FromSeconds(DrainTimeoutSeconds + ConsumerCloseSeconds);

        public TimeSpan Total => TimeSpan.FromSeconds(TotalSeconds);
    }
}
