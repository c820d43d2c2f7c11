using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Hosting;
using Personalization.Actors.Model;
using Personalization.Actors.Serialization;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Serialization;

/// <summary>Only protobuf crosses the network or reaches the store: the bindings a node's actor system gets.</summary>
public sealed class SerializationBindingTests : IAsyncLifetime
{
    private IHost? _host;

    private ActorSystem System => _host!.Services.GetRequiredService<ActorSystem>();

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("bindings", (akka, _) => akka.WithPersonalizationSerialization());
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host!.StopAsync();
        _host.Dispose();
    }

    public static TheoryData<object> OurMessages() =>
    [
        new ApplyEvent("u", "i", EventType.Play, 1),
        new GetRecommendations("u", 10),
        new GetRecommendations("u", 10, new ModelKey("gru-games", "v2")),
        new GetSession("u"),
        new EventsDurable(0, [1]),
        new RedeliveryNeeded(0),
        new Recommendations("u", [], "m", "v", 0, false),
        StopUser.Instance,
        new InspectUser("u", 10),
        new UserInspection(new SessionView("u", 0, 0, 0, 0, 0, 0, 0, [], null, 0, [], []), "akka.tcp://s@h:1", "0", null, 0, 0, [], 0, false, 0, 0, false, [], []),
        new UserInspection(new SessionView("u", 0, 0, 0, 0, 0, 0, 0, [], null, 0, [], []), "akka.tcp://s@h:1", "0", null, 0, 0, [], 0, false, 0, 0, false, [],
            [new CompanionInspection("gru-games", "v2", 3, 4, false)]),
    ];

    [Theory]
    [MemberData(nameof(OurMessages))]
    public void Every_message_of_ours_goes_through_the_protobuf_serializer(object message) =>
        Assert.IsType<PersonalizationSerializer>(System.Serialization.FindSerializerFor(message));

    public static TheoryData<object> ExperimentValues() =>
    [
        new Actors.Experiments.ImpressionServed("u", "r", "exp", ["a", "b"], ["i1", "i2"], [0, 1], 5),
        Actors.Experiments.ItemSketches.Empty.Add("a", new byte[Actors.Experiments.ItemSketch.Bytes]),
        new Actors.Experiments.ExperimentDefinition(
            "exp", Actors.Experiments.ExperimentKind.Interleaving, "salt", [new("a", 1, null, 5), new("b", 2, "models/weak", null)],
            Actors.Experiments.ExperimentStatus.Running, DateTimeOffset.FromUnixTimeMilliseconds(1_000), null,
            Actors.Experiments.BucketMap.Allocate([1, 2]), 3, DateTimeOffset.FromUnixTimeMilliseconds(500), DateTimeOffset.FromUnixTimeMilliseconds(900), "why"),
    ];

    [Theory]
    [MemberData(nameof(ExperimentValues))]
    public void Experiment_values_and_impressions_go_through_their_protobuf_serializer_and_come_back_equal(object value)
    {
        var serializer = Assert.IsType<ExperimentSerializer>(System.Serialization.FindSerializerFor(value));
        var back = serializer.FromBinary(serializer.ToBinary(value), serializer.Manifest(value));

        Assert.Equal(serializer.ToBinary(value), serializer.ToBinary(back));
        Assert.Equal(value.GetType(), back.GetType());
    }

    [Fact]
    public void A_message_without_a_binding_is_refused_with_a_reason_instead_of_falling_back_to_json()
    {
        var serializer = System.Serialization.FindSerializerFor(new Unbound("x"));

        var refusal = Assert.Throws<SerializationException>(() => serializer.ToBinary(new Unbound("x")));
        Assert.Contains(typeof(Unbound).FullName!, refusal.Message);
        Assert.Contains("no serialization binding", refusal.Message);
    }

    [Fact]
    public void A_new_user_message_type_is_refused_by_the_protobuf_serializer_until_it_has_a_manifest()
    {
        var serializer = System.Serialization.FindSerializerFor(new NewUserMessage("u"));

        Assert.IsType<PersonalizationSerializer>(serializer);
        Assert.Throws<ArgumentException>(() => serializer.ToBinary(new NewUserMessage("u")));
    }

    private sealed record Unbound(string Text);

    private sealed record NewUserMessage(string UserId) : IUserMessage;
}
