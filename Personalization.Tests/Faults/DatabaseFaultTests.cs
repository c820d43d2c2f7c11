using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Http;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// Fault 5 of issue 11: the checkpoint database (PostgreSQL) gone, or frozen, during ingest. Ingest waits
/// (backpressure: nothing is acknowledged that is not durable), users keep answering queries from their live state,
/// and when the database is back everything is checkpointed, committed and equal to the offline replay.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class DatabaseFaultTests(FaultContext context) : IDisposable
{
    private const int Partitions = 4;
    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start(brokers: 1);

    [Fact]
    public Task PostgreSQL_stopped_and_started_again_during_ingest_loses_nothing_and_queries_keep_answering() =>
        OutageAsync($"PostgreSQL stopped (pg_ctl -m fast) {FaultSettings.OutageSeconds:0} s",
            begin: () => context.Postgres.StopAsync(), end: () => context.Postgres.StartAsync());

    [Fact]
    public Task PostgreSQL_frozen_by_SIGSTOP_during_ingest_loses_nothing_and_queries_keep_answering() =>
        OutageAsync($"PostgreSQL frozen (SIGSTOP) {FaultSettings.OutageSeconds:0} s",
            begin: () =>
            {
                context.Postgres.Freeze();
                return Task.CompletedTask;
            },
            end: () =>
            {
                context.Postgres.Thaw();
                return Task.CompletedTask;
            });

    public void Dispose() => _broker.Dispose();

    private async Task OutageAsync(string fault, Func<Task> begin, Func<Task> end)
    {
        using var stream = FaultStream.Create(_broker, Partitions);
        var options = TestNode.CreateOptions(_broker.BootstrapServers, stream.Topic, Partitions, "postgresql", await context.Postgres.CreateDatabaseAsync());
        await using var node = await TestNode.StartAsync(options);
        var produce = stream.ProduceAsync();
        await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, stream.Workload.Events.Count / 4);
        var live = await UsersWithStateAsync(node.Http, stream);

        var outage = Stopwatch.StartNew();
        await using var queries = QueryProbe.Start(node.Http, live);
        try
        {
            await begin();
            await Task.Delay(TimeSpan.FromSeconds(FaultSettings.OutageSeconds)); // the fault's own duration
        }
        finally
        {
            await end();
            await queries.StopAsync();
        }

        var faultSeconds = outage.Elapsed.TotalSeconds;
        var sinceFaultEnd = Stopwatch.StartNew();
        await produce;
        await FaultVerdict.AssertRecoveredAsync(fault, "postgresql", stream, node.Http, options.Kafka.GroupId, context.Offline, sinceFaultEnd, faultSeconds,
            $"queries during the outage: {queries.Answered} answered, {queries.Failures.Count} failed");
        Assert.True(queries.Answered > 0, "no query was answered during the outage");
        Assert.True(queries.Failures.Count == 0, $"{queries.Failures.Count} queries failed during the outage, first: {queries.Failures.FirstOrDefault()}");
    }

    /// <summary>Users that have applied events, so their state lives in their actor, not only in the database.</summary>
    private static async Task<List<string>> UsersWithStateAsync(HttpClient http, FaultStream stream)
    {
        var users = new List<string>();
        foreach (var user in stream.Workload.ItemsByUser.Keys)
            if ((await http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto))!.EventCount > 0)
                users.Add(user);
        Assert.NotEmpty(users);
        return users;
    }
}
