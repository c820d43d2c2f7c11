namespace Personalization.Tests.Infrastructure;

/// <summary>Finds files of the repository (models/, data/) from the test binaries, wherever the clone is.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string DefaultModel => Path.Combine(Root, "models", "default");

    /// <summary>The deliberately weaker model of the experiment tests (models/weak/README.md).</summary>
    public static string WeakModel => Path.Combine(Root, "models", "weak");

    public static string SampleSessions => Path.Combine(Root, "data", "sample", "games-sessions.txt");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Personalization.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Personalization.sln above {AppContext.BaseDirectory}");
    }
}
