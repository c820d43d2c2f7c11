namespace Personalization.Actors.Model;

/// <summary>Row i of items.txt is the external id of model index i; row 0 is padding/unknown.</summary>
public sealed class ItemVocabulary
{
    private readonly string[] _ids;
    private readonly Dictionary<string, int> _index;

    public ItemVocabulary(string[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length < 2) throw new ArgumentException("a vocabulary needs the padding row 0 and at least one item", nameof(ids));
        _ids = ids;
        _index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var i = 1; i < ids.Length; i++)
        {
            if (string.IsNullOrEmpty(ids[i])) throw new ArgumentException($"items.txt row {i} is empty", nameof(ids));
            if (!_index.TryAdd(ids[i], i)) throw new ArgumentException($"items.txt row {i}: item id \"{ids[i]}\" also stands at row {_index[ids[i]]}", nameof(ids));
        }
    }

    /// <summary>Rows including padding row 0 (= the score graph's N).</summary>
    public int Count => _ids.Length;

    /// <summary>Model index of an external id; 0 when the model does not know it.</summary>
    public int IndexOf(string itemId) => _index.TryGetValue(itemId, out var i) ? i : 0;

    /// <summary>The shared id string of a model index (so sessions hold references, not copies).</summary>
    public string IdAt(int index) => _ids[index];

    /// <summary>The vocabulary's own instance of <paramref name="itemId"/> when known (saves a string per stored item).</summary>
    public string Intern(string itemId) => _index.TryGetValue(itemId, out var i) ? _ids[i] : itemId;

    public static ItemVocabulary Load(string path)
    {
        var lines = File.ReadAllLines(path);
        // A trailing newline is normal; anything else empty is an error the constructor names.
        if (lines.Length > 0 && lines[^1].Length == 0) lines = lines[..^1];
        return new ItemVocabulary(lines);
    }
}
