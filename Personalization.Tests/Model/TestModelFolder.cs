namespace Personalization.Tests.Model;

/// <summary>The real model folder (models/default at the repository root) and altered copies of it.</summary>
internal static class TestModelFolder
{
    public static string RepositoryRoot => Infrastructure.RepositoryPaths.Root;

    public static string Path
    {
        get
        {
            var path = System.IO.Path.Combine(RepositoryRoot, "models", "default");
            if (!File.Exists(System.IO.Path.Combine(path, "manifest.json")))
                throw new InvalidOperationException($"the model folder {path} is missing: the trainer writes it (trainer/), the repository commits it");
            return path;
        }
    }

    /// <summary>A private copy of the real folder in a temp directory, to alter; deleted on dispose.</summary>
    public static TempFolder Copy()
    {
        var copy = new TempFolder();
        foreach (var file in Directory.GetFiles(Path))
            File.Copy(file, System.IO.Path.Combine(copy.Path, System.IO.Path.GetFileName(file)));
        return copy;
    }
}

internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "personalization-model-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind is harmless
        }
    }
}
