using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Actors.Filters;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Personalization.Node.OperatorConsole;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Personalization.Tests.OperatorConsole;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Filters;

/// <summary>A node following an availability topic of 3 partitions, and a user with a history whose top items the tests withdraw.</summary>
public sealed class AvailabilityNode : IAsyncLifetime
{
    public const string User = "availability-user";

    public EmbeddedKafkaBroker Broker { get; private set; } = null!;

    public TestNode Node { get; private set; } = null!;

    public string Topic => Node.Options.Kafka.AvailabilityTopic;

    public async Task InitializeAsync()
    {
        Broker = EmbeddedKafkaBroker.Start(brokers: 1);
        var options = TestNode.CreateOptions(Broker.BootstrapServers, KafkaTestKit.NewTopic(Broker, 2), 2, "sqlite", EngineTestContext.SqliteConnectionString());
        Broker.CreateTopic(options.Kafka.AvailabilityTopic, 3);
        Broker.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(options.Kafka.AvailabilityTopic), 1);
        Node = await TestNode.StartAsync(options);
        await ListeningUsers.GiveHistoryAsync(Node.Http, User, ListeningUsers.ModelItems.Skip(100).Take(6).ToArray());
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        Broker.Dispose();
    }
}

/// <summary>
/// Items withdrawn through the availability topic leave the answers — written by kcat (an independent client), by the
/// admin API and by the console — and come back when re-enabled; bad records go to the dead-letter topic.
/// </summary>
public sealed class ItemAvailabilityTests(AvailabilityNode fixture, ITestOutputHelper output) : IClassFixture<AvailabilityNode>
{
    private static readonly TimeSpan WithinSeconds = TimeSpan.FromSeconds(5);

    private HttpClient Http => fixture.Node.Http;

    private Task<string[]> AnswerAsync(int k = 10) => ListeningUsers.RecommendAsync(Http, AvailabilityNode.User, k);

    private Task KcatAsync(string keyedLines, bool nullForEmpty = false) =>
        nullForEmpty
            ? KcatNullValuesAsync(keyedLines)
            : Kcat.ProduceAsync(fixture.Broker.BootstrapServers, fixture.Topic, keyedLines);

    private async Task KcatNullValuesAsync(string keyedLines)
    {
        var (code, _, error) = await Kcat.RunAsync($"-P -Z -b {fixture.Broker.BootstrapServers} -t {fixture.Topic} -K: -X topic.partitioner=murmur2_random", keyedLines);
        Assert.True(code == 0, error);
    }

    [Fact]
    public async Task An_item_withdrawn_with_kcat_leaves_the_answers_within_seconds_and_comes_back_when_re_enabled()
    {
        var before = await AnswerAsync();
        var withdrawn = before[0];
        var clock = Stopwatch.StartNew();

        await KcatAsync($$"""{{withdrawn}}:{"item":"{{withdrawn}}","available":false,"reason":"licensing"}""" + "\n");

        await Eventually.AssertAsync(async () => Assert.DoesNotContain(withdrawn, await AnswerAsync()), WithinSeconds, TimeSpan.FromMilliseconds(20));
        output.WriteLine($"withdrawn from the answers {clock.ElapsedMilliseconds} ms after kcat returned");
        var after = await AnswerAsync();
        Assert.Equal(10, after.Length);
        Assert.Equal(before.Skip(1), after.Take(9));

        await KcatAsync($$"""{{withdrawn}}:{"item":"{{withdrawn}}","available":true}""" + "\n");

        await Eventually.AssertAsync(async () => Assert.Equal(before, await AnswerAsync()), WithinSeconds, TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task A_tombstone_re_enables_a_withdrawn_item()
    {
        var withdrawn = (await AnswerAsync())[1];
        await KcatAsync($$"""{{withdrawn}}:{"item":"{{withdrawn}}","available":false}""" + "\n");
        await Eventually.AssertAsync(async () => Assert.DoesNotContain(withdrawn, await AnswerAsync()), WithinSeconds);

        await KcatAsync($"{withdrawn}:\n", nullForEmpty: true);

        await Eventually.AssertAsync(async () => Assert.Contains(withdrawn, await AnswerAsync()), WithinSeconds);
    }

    [Fact]
    public async Task A_malformed_record_is_dead_lettered_with_its_reason_and_the_reader_goes_on()
    {
        var next = (await AnswerAsync())[2];

        await KcatAsync($$"""
            bad-item:{"item":"bad-item","available":"no"}
            {{next}}:{"item":"{{next}}","available":false,"reason":"after the bad one"}

            """);

        await Eventually.AssertAsync(async () => Assert.DoesNotContain(next, await AnswerAsync()), WithinSeconds);
        var dead = await Kcat.ConsumeAsync(fixture.Broker.BootstrapServers, DeadLetterProducer.DeadLetterTopicFor(fixture.Topic), 1);
        var record = Assert.Single(dead);
        Assert.Contains("dlq-reason=\"available\" must be true or false", record);
        Assert.Contains($"dlq-topic={fixture.Topic}", record);
        Assert.EndsWith("""|{"item":"bad-item","available":"no"}""", record);

        await KcatAsync($$"""{{next}}:{"item":"{{next}}","available":true}""" + "\n");
        await Eventually.AssertAsync(async () => Assert.Contains(next, await AnswerAsync()), WithinSeconds);
    }

    [Fact]
    public async Task The_admin_API_withdraws_an_item_answering_once_this_node_applied_it_lists_it_and_restores_it()
    {
        var item = (await AnswerAsync())[3];
        using var withdraw = new HttpRequestMessage(HttpMethod.Post, $"/admin/items/{item}/withdraw")
        {
            Content = JsonContent.Create(new ItemWithdrawRequest("licensing")),
            Headers = { { AdminAudit.OperatorHeader, "ops@test" } },
        };

        var withdrawn = await (await Http.SendAsync(withdraw)).Content.ReadFromJsonAsync(ItemJsonContext.Default.ItemAvailabilityChangeDto);

        Assert.True(withdrawn!.AppliedHere, withdrawn.Detail);
        Assert.DoesNotContain(item, await AnswerAsync()); // no waiting: the answer came after this node applied it
        var listed = await Http.GetFromJsonAsync("/admin/items/withdrawn", ItemJsonContext.Default.WithdrawnItemsDto);
        var entry = Assert.Single(listed!.Items, i => i.ItemId == item);
        Assert.Equal(("licensing", "ops@test", withdrawn.Partition, withdrawn.Offset), (entry.Reason, entry.By, entry.Partition, entry.Offset));

        var restored = await (await Http.PostAsync($"/admin/items/{item}/restore", null)).Content.ReadFromJsonAsync(ItemJsonContext.Default.ItemAvailabilityChangeDto);

        Assert.True(restored!.AppliedHere && restored.Available, restored.Detail);
        Assert.Contains(item, await AnswerAsync());
    }

    [Theory]
    [InlineData("withdraw", "a%01b", null, "the item id contains a control character")]
    [InlineData("withdraw", "42", "{\"reason\":\"\\u0007\"}", "\"reason\" contains a control character")]
    [InlineData("restore", "%20", null, "the item id is empty")]
    public async Task A_bad_item_id_or_reason_is_a_400_and_nothing_is_produced(string action, string item, string? body, string reason)
    {
        var end = KafkaTestKit.EndOffsets(fixture.Broker.BootstrapServers, fixture.Topic, 3).Values.Sum();

        var response = await Http.PostAsync($"/admin/items/{item}/{action}", body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await Problems.DetailAsync(response));
        Assert.Equal(end, KafkaTestKit.EndOffsets(fixture.Broker.BootstrapServers, fixture.Topic, 3).Values.Sum());
    }

    [Fact]
    public async Task The_console_withdraws_lists_and_restores_an_item()
    {
        var item = (await AnswerAsync())[4];
        var (session, _, text) = ConsoleNodeFixture.Console(fixture.Node);

        Assert.Equal(0, await session.ExecuteAsync(Parse($"item withdraw {item} licensing deal ended"), CancellationToken.None));
        Assert.Contains($"withdrawn: item {item} (licensing deal ended)", text.ToString());
        Assert.DoesNotContain(item, await AnswerAsync());

        Assert.Equal(0, await session.ExecuteAsync(Parse("item withdrawn"), CancellationToken.None));
        Assert.Matches($@"│ {item}\s+│ licensing deal ended", text.ToString());

        Assert.Equal(0, await session.ExecuteAsync(Parse($"item restore {item}"), CancellationToken.None));
        Assert.Contains($"restored: item {item}", text.ToString());
        Assert.Contains(item, await AnswerAsync());
    }

    [Fact]
    public async Task Readiness_names_the_availability_check_and_metrics_export_the_reader()
    {
        var ready = await Http.GetFromJsonAsync("/healthz/ready", ApiJsonContext.Default.HealthDto);
        Assert.Matches(@"^\d+ items? withdrawn; following .+ \(3 partitions\)$", ready!.Checks["availability"]);

        var metrics = await Http.GetStringAsync("/metrics");
        Assert.Contains("personalization_availability_withdrawn_items ", metrics);
        Assert.Contains("personalization_availability_records_total{outcome=\"applied\"}", metrics);
        Assert.Contains("personalization_availability_last_applied_lag_seconds ", metrics);
        Assert.Contains("personalization_availability_caught_up 1", metrics);
    }

    private static ConsoleCommand Parse(string line)
    {
        var (words, error) = CommandLineWords.Split(line);
        Assert.Null(error);
        var parsed = ConsoleCommandParser.Parse(words);
        Assert.Null(parsed.Error);
        return parsed.Command!;
    }
}
