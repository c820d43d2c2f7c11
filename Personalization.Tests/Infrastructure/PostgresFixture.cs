using Personalization.Node.Local;
using Xunit;

namespace Personalization.Tests.Infrastructure;

/// <summary>One PostgreSQL server shared by every test of a collection; each test makes its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public LocalPostgres Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalPostgres.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
