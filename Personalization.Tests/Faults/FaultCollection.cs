using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// The fault tests start brokers, databases and node processes and break them on purpose: they run one at a time,
/// never next to each other (a paused database or a dead broker must only hurt the test that paused it).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection : ICollectionFixture<FaultContext>
{
    public const string Name = "faults";
}
