using Personalization.Actors.Persistence;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Persistence;

[Collection(PostgresCollection.Name)]
public sealed class CheckpointTableTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task An_upsert_replaces_the_stored_checkpoint_of_that_id_only(string store)
    {
        await using var table = await OpenAsync(store);
        await table.UpsertAsync([Row("user-a", 1, "a1"), Row("user-b", 1, "b1")], CancellationToken.None);
        await table.UpsertAsync([Row("user-a", 2, "a2")], CancellationToken.None);

        var rows = await table.ReadAsync(["user-a", "user-b", "user-c"], CancellationToken.None);

        Assert.Equal(2, rows.Count);
        Assert.Equal((2L, "a2"), (rows["user-a"].SequenceNr, Text(rows["user-a"])));
        Assert.Equal((1L, "b1"), (rows["user-b"].SequenceNr, Text(rows["user-b"])));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_write_older_than_the_stored_one_is_reported_stale_and_not_written(string store)
    {
        await using var table = await OpenAsync(store);
        await table.UpsertAsync([Row("user-a", 5, "five")], CancellationToken.None);

        var stale = await table.UpsertAsync([Row("user-b", 1, "b"), Row("user-a", 3, "three")], CancellationToken.None);

        Assert.Equal([1], stale);
        var rows = await table.ReadAsync(["user-a", "user-b"], CancellationToken.None);
        Assert.Equal("five", Text(rows["user-a"]));
        Assert.Equal("b", Text(rows["user-b"]));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task The_same_id_twice_in_one_batch_keeps_the_later_write(string store)
    {
        await using var table = await OpenAsync(store);

        var stale = await table.UpsertAsync([Row("user-a", 1, "one"), Row("user-b", 1, "b"), Row("user-a", 2, "two")], CancellationToken.None);

        Assert.Empty(stale);
        var rows = await table.ReadAsync(["user-a"], CancellationToken.None);
        Assert.Equal((2L, "two"), (rows["user-a"].SequenceNr, Text(rows["user-a"])));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Deleting_drops_the_payload_and_keeps_the_sequence_number(string store)
    {
        await using var table = await OpenAsync(store);
        await table.UpsertAsync([Row("user-a", 4, "four")], CancellationToken.None);

        await table.DeleteToAsync("user-a", 3, CancellationToken.None);
        Assert.False((await table.ReadAsync(["user-a"], CancellationToken.None))["user-a"].IsDeleted);
        await table.DeleteToAsync("user-a", 4, CancellationToken.None);

        var row = (await table.ReadAsync(["user-a"], CancellationToken.None))["user-a"];
        Assert.True(row.IsDeleted);
        Assert.Equal(4, row.SequenceNr);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Opening_an_existing_table_keeps_its_rows(string store)
    {
        var options = await CheckpointStores.CreateAsync(store, postgres);
        await using (var first = CheckpointStores.Table(options))
        {
            await first.EnsureCreatedAsync(CancellationToken.None);
            await first.UpsertAsync([Row("user-a", 1, "kept")], CancellationToken.None);
        }

        await using var second = CheckpointStores.Table(options);
        await second.EnsureCreatedAsync(CancellationToken.None);

        Assert.Equal("kept", Text((await second.ReadAsync(["user-a"], CancellationToken.None))["user-a"]));
    }

    [Fact]
    public void A_table_name_that_is_not_a_plain_identifier_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteCheckpointTable("Data Source=x.db", "t; DROP TABLE x"));
        Assert.Contains("not a plain SQL identifier", error.Message);
    }

    private async Task<ICheckpointTable> OpenAsync(string store)
    {
        var table = CheckpointStores.Table(await CheckpointStores.CreateAsync(store, postgres));
        await table.EnsureCreatedAsync(CancellationToken.None);
        return table;
    }

    private static CheckpointRow Row(string id, long seq, string text) => new(id, seq, 17, "", System.Text.Encoding.UTF8.GetBytes(text), 0);

    private static string Text(CheckpointRow row) => System.Text.Encoding.UTF8.GetString(row.Payload!);
}
