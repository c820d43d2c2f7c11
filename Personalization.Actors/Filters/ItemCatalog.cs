using System.Collections.Frozen;

namespace Personalization.Actors.Filters;

/// <summary>
/// Attributes of items (genre, label, decade, …), loaded once at start (<see cref="ItemCatalogFile"/>) and read by the
/// attribute terms of requests. Immutable. Compact because every node holds it whole: each item is an array of
/// (attribute, value) pairs, attribute names are small integers and equal values are one string.
/// </summary>
public sealed class ItemCatalog
{
    private readonly FrozenDictionary<string, ItemAttribute[]> _items;
    private readonly string[] _names;
    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _nameLookup;

    internal ItemCatalog(string source, string[] names, Dictionary<string, ItemAttribute[]> items)
    {
        Source = source;
        _names = names;
        _nameLookup = names.Select((n, i) => KeyValuePair.Create(n, i)).ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _items = items.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Where it was loaded from (the file's full path).</summary>
    public string Source { get; }

    public int Count => _items.Count;

    /// <summary>Attribute names, in order of first appearance in the file.</summary>
    public IReadOnlyList<string> AttributeNames => _names;

    /// <summary>The catalog's spelling of <paramref name="name"/>, or null when no item has that attribute.</summary>
    public string? AttributeNamed(ReadOnlySpan<char> name) => _nameLookup.TryGetValue(name, out var index) ? _names[index] : null;

    /// <summary>"genre, label and year" (at most 20 named), for messages.</summary>
    public string DescribeAttributes()
    {
        var shown = _names.Take(20).Select(n => $"\"{Events.ReasonText.Quote(n, 40)}\"").ToArray();
        var list = shown.Length == 1 ? shown[0] : string.Join(", ", shown[..^1]) + " and " + shown[^1];
        return _names.Length > shown.Length ? $"{list} among {_names.Length}" : list;
    }

    /// <summary>True when <paramref name="itemId"/> has <paramref name="attribute"/> with one of <paramref name="values"/>; an item not in the catalog has no attribute.</summary>
    public bool HasAnyValue(string itemId, string attribute, IReadOnlySet<string> values)
    {
        if (!_items.TryGetValue(itemId, out var attributes) || !_nameLookup.Dictionary.TryGetValue(attribute, out var name)) return false;
        foreach (var pair in attributes)
            if (pair.Name == name && values.Contains(pair.Value)) return true;
        return false;
    }

    /// <summary>The values of <paramref name="attribute"/> for <paramref name="itemId"/> (empty when it has none, or is not in the catalog).</summary>
    public IReadOnlyList<string> ValuesOf(string itemId, string attribute)
    {
        if (!_items.TryGetValue(itemId, out var attributes) || !_nameLookup.Dictionary.TryGetValue(attribute, out var name)) return [];
        return attributes.Where(a => a.Name == name).Select(a => a.Value).ToArray();
    }

    public bool Contains(string itemId) => _items.ContainsKey(itemId);
}

/// <summary>One value of one attribute of an item; <see cref="Name"/> indexes <see cref="ItemCatalog.AttributeNames"/>.</summary>
internal readonly record struct ItemAttribute(int Name, string Value);
