using Personalization.Actors.Hosting;
using Personalization.Actors.Persistence;
using Personalization.Tests.Infrastructure;

namespace Personalization.Tests.Persistence;

/// <summary>A fresh store of either kind for one test: a SQLite file in a temp folder or a new PostgreSQL database.</summary>
internal static class CheckpointStores
{
    public static async Task<CheckpointStoreOptions> CreateAsync(string store, PostgresFixture postgres) => store switch
    {
        "sqlite" => CheckpointStoreOptions.SqliteFile(Path.Combine(Path.GetTempPath(), "pz-journal-" + Guid.NewGuid().ToString("N")[..12], "checkpoints.db")),
        "postgresql" => new CheckpointStoreOptions(
            CheckpointStoreProvider.PostgreSql, await postgres.Server.CreateDatabaseAsync("pzj_" + Guid.NewGuid().ToString("N")[..12])),
        _ => throw new ArgumentOutOfRangeException(nameof(store)),
    };

    public static ICheckpointTable Table(CheckpointStoreOptions options) => options.Provider == CheckpointStoreProvider.Sqlite
        ? new SqliteCheckpointTable(options.ConnectionString, "user_checkpoints")
        : new PostgresCheckpointTable(options.ConnectionString, "user_checkpoints");
}
