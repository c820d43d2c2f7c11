namespace Personalization.Benchmarks;

/// <summary>The model folder to measure: $PERSONALIZATION_MODEL_DIR, else models/default at the repository root.</summary>
public static class ModelPaths
{
    public static string Default
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("PERSONALIZATION_MODEL_DIR");
            if (!string.IsNullOrEmpty(configured)) return configured;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Personalization.sln"))) return Path.Combine(dir.FullName, "models", "default");
            }

            throw new InvalidOperationException("no Personalization.sln above the benchmark; set PERSONALIZATION_MODEL_DIR");
        }
    }

    /// <summary>Non-trivial states: zero states after a few deterministic random items each.</summary>
    public static float[][] WarmStates(Personalization.Actors.Model.OnnxSequenceModel model, int count, int seed = 42)
    {
        var random = new Random(seed);
        var states = new float[count][];
        var next = new float[model.StateSize];
        for (var i = 0; i < count; i++)
        {
            var state = new float[model.StateSize];
            for (var step = 0; step < 5; step++)
            {
                model.Step([random.Next(1, model.ItemCount)], state, next);
                next.CopyTo(state, 0);
            }

            states[i] = state;
        }

        return states;
    }
}
