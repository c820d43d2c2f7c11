using Personalization.Actors.Model;

namespace Personalization.Node.Hosting;

/// <summary>
/// Loads model folders into the node's <see cref="ModelRegistry"/> and remembers where from and when: the registry
/// keeps only the models themselves, an operator also wants to see which folder serves and that a reload happened
/// (reloading the same folder swaps in a fresh instance with the same version, so the version alone cannot tell).
/// Loads run one at a time, so the record always describes the model that is current.
/// </summary>
public sealed class ModelLoader(ModelRegistry registry, TimeProvider? time = null, ILogger? logger = null)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private volatile ModelLoadRecord? _last;

    public ModelRegistry Registry => registry;

    /// <summary>The last successful load, or null before the first.</summary>
    public ModelLoadRecord? Last => _last;

    /// <summary>Start-up: validates and loads <paramref name="path"/>; a bad folder throws <see cref="InvalidModelException"/>.</summary>
    public void Load(string path)
    {
        _gate.Wait();
        try
        {
            LoadLocked(path);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Hot swap: validates and loads <paramref name="path"/> off the caller's thread (opening ONNX sessions and the
    /// test run take a while). A bad folder throws <see cref="InvalidModelException"/> and the current model keeps serving.
    /// </summary>
    public async Task<ModelLoadRecord> LoadAsync(string path, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => LoadLocked(path), CancellationToken.None);
        }
        catch (InvalidModelException e)
        {
            logger?.LogWarning("Model folder {Path} refused: {Reason}; still serving {Model} {Version}", path, e.Message, registry.Current.Name, registry.Current.Version);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ModelLoadRecord LoadLocked(string path)
    {
        var full = RepoFiles.Resolve(path);
        var runtime = registry.Load(full);
        var record = new ModelLoadRecord(full, runtime.Name, runtime.Version, _time.GetUtcNow(), (_last?.Loads ?? 0) + 1);
        _last = record;
        logger?.LogInformation("Model {Model} {Version} serving, from {Path} (load {Loads} of this node)", record.Name, record.Version, record.Path, record.Loads);
        return record;
    }
}

/// <summary>The folder the current model came from, when it was loaded and how many loads this node has done (1 = the start-up load).</summary>
public sealed record ModelLoadRecord(string Path, string Name, string Version, DateTimeOffset LoadedAt, int Loads);
