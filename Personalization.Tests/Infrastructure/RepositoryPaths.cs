namespace Personalization.Tests.Infrastructure;

/// <summary>Finds files of the repository (models/, data/) from the test binaries, wherever the clone is.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string DefaultModel => Path.Combine(Root, "models", "default");

    public static string SampleSessions => Path.Combine(Root, "data", "sample", "games-sessions.txt");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Personalization.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Personalization.sln above {AppContext.BaseDirectory}");
    }
}
