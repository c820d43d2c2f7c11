namespace Personalization.Tests.Monitoring;

/// <summary>
/// The metric names a PromQL expression reads, found by a small lexer (no hand-kept list): identifiers that are not
/// functions (followed by '('), aggregation operators, keywords, label names (inside <c>{…}</c>, after
/// <c>by/without/on/ignoring/group_left/group_right</c>) or Grafana variables (<c>$x</c>); strings, durations and
/// numbers are skipped. Grafana's <c>label_values(metric, label)</c> reads only its first argument.
/// </summary>
public static class PromQlNames
{
    private static readonly HashSet<string> Keywords =
    [
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "atan2",
        "inf", "nan", "Inf", "NaN",
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
    ];

    private static readonly HashSet<string> LabelListKeywords = ["by", "without", "on", "ignoring", "group_left", "group_right"];

    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var i = 0;
        var labelValuesDepth = -1; // paren depth of an open label_values( call
        var depth = 0;
        var afterComma = false;
        while (i < expr.Length)
        {
            var c = expr[i];
            if (c is '"' or '\'' or '`')
            {
                i = SkipString(expr, i);
                continue;
            }

            if (c == '#')
            {
                while (i < expr.Length && expr[i] != '\n') i++;
                continue;
            }

            if (c == '{')
            {
                i = SkipTo(expr, i, '{', '}');
                continue;
            }

            if (c == '[')
            {
                i = SkipTo(expr, i, '[', ']');
                continue;
            }

            if (c == '(')
            {
                depth++;
                i++;
                continue;
            }

            if (c == ')')
            {
                if (depth == labelValuesDepth)
                {
                    labelValuesDepth = -1;
                    afterComma = false;
                }

                depth--;
                i++;
                continue;
            }

            if (c == ',' && depth == labelValuesDepth)
            {
                afterComma = true;
                i++;
                continue;
            }

            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < expr.Length && char.IsAsciiDigit(expr[i + 1])))
            {
                // A number, a duration (5m, 1h30m) or an exponent: letters after digits belong to it.
                while (i < expr.Length && (char.IsAsciiLetterOrDigit(expr[i]) || expr[i] is '.' or '_' || (expr[i] is '+' or '-' && expr[i - 1] is 'e' or 'E'))) i++;
                continue;
            }

            if (c == '$')
            {
                i++;
                if (i < expr.Length && expr[i] == '{') i = SkipTo(expr, i, '{', '}');
                else while (i < expr.Length && IsNamePart(expr[i])) i++;
                continue;
            }

            if (IsNameStart(c))
            {
                var start = i;
                while (i < expr.Length && IsNamePart(expr[i])) i++;
                var name = expr[start..i];
                var next = i;
                while (next < expr.Length && char.IsWhiteSpace(expr[next])) next++;
                var followedByParen = next < expr.Length && expr[next] == '(';
                if (LabelListKeywords.Contains(name) && followedByParen)
                {
                    i = SkipTo(expr, next, '(', ')'); // a label list, not an expression
                    continue;
                }

                if (name == "label_values" && followedByParen)
                {
                    labelValuesDepth = depth + 1;
                    afterComma = false;
                    continue;
                }

                if (followedByParen || Keywords.Contains(name)) continue; // a function or an operator
                if (labelValuesDepth >= 0 && afterComma) continue; // label_values' label argument
                names.Add(name);
                continue;
            }

            i++;
        }

        return names;
    }

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c is '_' or ':';

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or ':';

    private static int SkipString(string s, int i)
    {
        var quote = s[i++];
        while (i < s.Length && s[i] != quote) i += s[i] == '\\' && quote != '`' ? 2 : 1;
        return i + 1;
    }

    private static int SkipTo(string s, int i, char open, char close)
    {
        var depth = 0;
        for (; i < s.Length; i++)
        {
            if (s[i] is '"' or '\'' or '`')
            {
                i = SkipString(s, i) - 1;
                continue;
            }

            if (s[i] == open) depth++;
            else if (s[i] == close && --depth == 0) return i + 1;
        }

        return i;
    }
}
