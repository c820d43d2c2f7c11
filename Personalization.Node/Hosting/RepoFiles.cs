namespace Personalization.Node.Hosting;

/// <summary>Resolves a relative path of a shipped file (model, sample) against the working directory, then the binaries.</summary>
public static class RepoFiles
{
    public static string Resolve(string path)
    {
        if (Path.IsPathRooted(path)) return path;
        var fromCwd = Path.GetFullPath(path);
        if (File.Exists(fromCwd) || Directory.Exists(fromCwd)) return fromCwd;
        return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, path));
    }
}
