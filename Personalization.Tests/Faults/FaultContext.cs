using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// Shared by the fault collection: the offline model (the expected answers) and one PostgreSQL server that the
/// database faults stop and freeze (each test its own database; the collection runs one test at a time). Each test
/// starts its own broker, since faults break brokers.
/// </summary>
public sealed class FaultContext : IAsyncLifetime
{
    public OfflineModel Offline { get; } = new(RepositoryPaths.DefaultModel);

    public StoppablePostgres Postgres { get; private set; } = null!;

    public async Task InitializeAsync() => Postgres = await StoppablePostgres.StartNewAsync();

    public async Task DisposeAsync()
    {
        await Postgres.DisposeAsync();
        Offline.Dispose();
    }

    public static string SqliteConnectionString() => Engine.EngineTestContext.SqliteConnectionString();

    public async Task<string> ConnectionStringAsync(string store) =>
        store == "sqlite" ? SqliteConnectionString() : await Postgres.CreateDatabaseAsync();
}
