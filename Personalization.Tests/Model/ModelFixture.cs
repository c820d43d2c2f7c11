using Personalization.Actors.Model;
using Xunit;

namespace Personalization.Tests.Model;

/// <summary>One load of the real model per test collection: a batcher, and a separate model for direct B=1 reference runs.</summary>
public sealed class ModelFixture : IAsyncLifetime
{
    public InferenceBatcher Batcher { get; private set; } = null!;

    /// <summary>Not shared with the batcher's threads: tests call it directly.</summary>
    public OnnxSequenceModel Reference { get; private set; } = null!;

    internal ParityData Parity { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Batcher = InferenceBatcher.Open(TestModelFolder.Path);
        Reference = OnnxSequenceModel.Open(TestModelFolder.Path);
        Parity = ParityData.Load(TestModelFolder.Path);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Batcher.DisposeAsync();
        Reference.Dispose();
    }

    /// <summary>Reference: the given items applied one by one, B=1, straight through the model.</summary>
    public float[] StepSequentially(float[] state, IEnumerable<int> items)
    {
        var current = (float[])state.Clone();
        var next = new float[current.Length];
        foreach (var item in items)
        {
            Reference.Step([item], current, next);
            (current, next) = (next, current);
        }

        return current;
    }

    public float[] Scores(float[] state)
    {
        var scores = new float[Reference.ItemCount];
        Reference.Score(state, scores);
        return scores;
    }
}

[CollectionDefinition(Name)]
public sealed class ModelCollection : ICollectionFixture<ModelFixture>
{
    public const string Name = "real model";
}
