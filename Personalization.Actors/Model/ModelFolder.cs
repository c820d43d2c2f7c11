namespace Personalization.Actors.Model;

/// <summary>
/// A model folder whose files passed the file-level checks: manifest fields, every named file present, items.txt
/// rows = item_count, popular items known. The graphs themselves are checked when <see cref="OnnxSequenceModel"/>
/// opens them (that needs ONNX Runtime sessions).
/// </summary>
public sealed class ModelFolder
{
    private ModelFolder(string path, ModelManifest manifest, ItemVocabulary vocabulary, int[] popularItems)
    {
        FolderPath = path;
        Manifest = manifest;
        Vocabulary = vocabulary;
        PopularItems = popularItems;
        StepGraphPath = System.IO.Path.Combine(path, manifest.Graphs.Step);
        ScoreGraphPath = System.IO.Path.Combine(path, manifest.Graphs.Score);
    }

    public string FolderPath { get; }
    public ModelManifest Manifest { get; }
    public ItemVocabulary Vocabulary { get; }

    /// <summary>The manifest's popular items as model indices, most popular first.</summary>
    public IReadOnlyList<int> PopularItems { get; }

    public string StepGraphPath { get; }
    public string ScoreGraphPath { get; }

    public static ModelFolder Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var folder = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        if (!Directory.Exists(folder)) throw new InvalidModelException($"model folder {folder} does not exist");

        var manifest = Read(ModelManifest.FileName, () => ModelManifest.Load(System.IO.Path.Combine(folder, ModelManifest.FileName)));
        var vocabularyPath = RequireFile(folder, manifest.Vocabulary, "vocabulary");
        RequireFile(folder, manifest.Graphs.Step, "graphs.step");
        RequireFile(folder, manifest.Graphs.Score, "graphs.score");

        ItemVocabulary vocabulary;
        try
        {
            vocabulary = Read(manifest.Vocabulary, () => ItemVocabulary.Load(vocabularyPath));
        }
        catch (ArgumentException e)
        {
            throw new InvalidModelException($"{manifest.Vocabulary} is not a valid vocabulary: {e.Message}", e);
        }

        if (vocabulary.Count != manifest.ItemCount)
            throw new InvalidModelException(
                $"{manifest.Vocabulary} has {vocabulary.Count} rows but {ModelManifest.FileName} says item_count {manifest.ItemCount}");

        var popular = new int[manifest.PopularItems.Count];
        for (var i = 0; i < popular.Length; i++)
        {
            var id = manifest.PopularItems[i];
            popular[i] = vocabulary.IndexOf(id);
            if (popular[i] == 0)
                throw new InvalidModelException($"{ModelManifest.FileName} popular_items[{i}] \"{id}\" is not in {manifest.Vocabulary}");
        }

        return new ModelFolder(folder, manifest, vocabulary, popular);
    }

    // A folder being rewritten (or unreadable) is refused like any other bad folder.
    private static T Read<T>(string file, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidModelException($"{file} cannot be read: {e.Message}", e);
        }
    }

    // Names come from a file someone else wrote: they must name files inside the folder.
    private static string RequireFile(string folder, string name, string field)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, name));
        if (!full.StartsWith(folder + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidModelException($"{ModelManifest.FileName} field \"{field}\" names \"{name}\", which is outside the model folder");
        if (!File.Exists(full)) throw new InvalidModelException($"{name} is missing in {folder} ({ModelManifest.FileName} field \"{field}\")");
        return full;
    }
}
