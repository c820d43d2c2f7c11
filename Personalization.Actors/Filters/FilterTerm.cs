namespace Personalization.Actors.Filters;

/// <summary>
/// One term of a request's <c>exclude=</c> or <c>include=</c>: an attribute of the item and one of its values. The
/// attribute <see cref="ItemAttribute"/> is the item's own id (<c>item:42</c>, or just <c>42</c>); any other is an
/// attribute of the item catalog (<c>genre:rock</c>). The catalog's key field has the same name, so a term reads the
/// way a catalog line is written.
/// </summary>
public readonly record struct FilterTerm(string Attribute, string Value)
{
    public const string ItemAttribute = "item";

    public bool IsItemId => Attribute == ItemAttribute;

    public override string ToString() => $"{Attribute}:{Value}";
}
