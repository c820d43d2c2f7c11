using Microsoft.ML.OnnxRuntime;

namespace Personalization.Actors.Model;

/// <summary>
/// One <see cref="OrtIoBinding"/> per batch size, created on first use: OrtValues have a fixed shape, so each batch
/// size B gets its own views ([B, …]) over the same pinned buffers. Running a bound batch allocates nothing.
/// </summary>
internal sealed class BatchBindings : IDisposable
{
    /// <summary>Creates the OrtValues of one batch size, binds them, and adds them to the list of values to dispose.</summary>
    public delegate void Binder(OrtIoBinding binding, int batch, List<OrtValue> owned);

    private readonly InferenceSession _session;
    private readonly Binder _bind;
    private readonly OrtIoBinding?[] _byBatch;
    private readonly List<OrtValue> _owned = [];

    public BatchBindings(InferenceSession session, int maxBatch, Binder bind)
    {
        _session = session;
        _bind = bind;
        _byBatch = new OrtIoBinding?[maxBatch + 1];
    }

    public OrtIoBinding For(int batch)
    {
        var binding = _byBatch[batch];
        if (binding is not null) return binding;
        binding = _session.CreateIoBinding();
        _bind(binding, batch, _owned);
        return _byBatch[batch] = binding;
    }

    public void Dispose()
    {
        foreach (var binding in _byBatch) binding?.Dispose();
        foreach (var value in _owned) value.Dispose();
    }

    /// <summary>A [batch, columns] (or [batch] when columns is 0) view of the start of a pinned buffer.</summary>
    public static OrtValue View<T>(T[] buffer, int batch, int columns) where T : unmanaged
    {
        var length = columns == 0 ? batch : batch * columns;
        long[] shape = columns == 0 ? [batch] : [batch, columns];
        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, length), shape);
    }
}
