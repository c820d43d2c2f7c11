using System.Net.Http.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Sessions;
using Personalization.Actors.Sharding;
using Personalization.Node.Http;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Http;

/// <summary>A node whose user actors never answer (as while a shard moves after its node died), with a short query budget.</summary>
public sealed class UnreachableUsersNode : IAsyncLifetime
{
    private EmbeddedKafkaBroker? _broker;

    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _broker = EmbeddedKafkaBroker.Start(brokers: 1);
        var options = TestNode.CreateOptions(_broker.BootstrapServers, KafkaTestKit.NewTopic(_broker, 2), 2, "sqlite", EngineTestContext.SqliteConnectionString());
        options.Http.QueryTimeoutMs = 200;
        Node = await TestNode.StartAsync(options, builder =>
            builder.Services.AddSingleton<IRequiredActor<UserShardRegion>>(sp => new SilentRegion(sp.GetRequiredService<ActorSystem>())));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        _broker?.Dispose();
    }

    /// <summary>A shard region that takes every message and answers none.</summary>
    private sealed class SilentRegion(ActorSystem system) : IRequiredActor<UserShardRegion>
    {
        private readonly Lazy<IActorRef> _region = new(() => system.ActorOf(Props.Create(() => new Silent()), "silent-region"));

        public IActorRef ActorRef => _region.Value;

        public Task<IActorRef> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(_region.Value);
    }

    private sealed class Silent : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }
    }
}

/// <summary>When a user's actor cannot answer in time, the query still gets an answer on time that says it is degraded.</summary>
public sealed class DegradedAnswerTests(UnreachableUsersNode fixture) : IClassFixture<UnreachableUsersNode>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task A_user_never_served_by_this_node_gets_the_popular_items_marked_degraded()
    {
        var answer = await Node.Http.GetFromJsonAsync("/users/never-seen/recommendations?k=5", ApiJsonContext.Default.RecommendationsDto);

        Assert.NotNull(answer!.Degraded);
        Assert.Contains("did not answer within 200 ms", answer.Degraded.Reason);
        Assert.Null(answer.Degraded.AgeMs);
        Assert.True(answer.ColdStart);
        Assert.Equal(5, answer.Items.Count);
    }

    [Fact]
    public async Task A_user_served_before_gets_the_last_list_with_its_age()
    {
        var last = Node.App.Services.GetRequiredService<LastAnswers>();
        last.Remember(new Recommendations("served-before", [new RecommendedItem("a", 2f), new RecommendedItem("b", 1f)], "m", "v7", 12, false),
            Environment.TickCount64 - 3_000);

        var answer = await Node.Http.GetFromJsonAsync("/users/served-before/recommendations?k=1", ApiJsonContext.Default.RecommendationsDto);

        Assert.Equal(["a"], answer!.Items.Select(i => i.ItemId));
        Assert.Equal(("v7", 12L, false), (answer.Model.Version, answer.EventsReflected, answer.ColdStart));
        Assert.InRange(answer.Degraded!.AgeMs!.Value, 3_000, 60_000);
        Assert.Contains("last list served", answer.Degraded.Reason);
    }

    [Fact]
    public void A_live_answer_has_no_degraded_member()
    {
        var live = UserEndpoints.Dto(new Recommendations("u", [new RecommendedItem("a", 1f)], "m", "v", 1, false), 10, null);

        var json = System.Text.Json.JsonSerializer.Serialize(live, ApiJsonContext.Default.RecommendationsDto);

        Assert.DoesNotContain("degraded", json);
    }
}
