using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Offramp.Reports;

/// <summary>
/// Builds SVG (XML) text: escaped content, culture-invariant numbers with at most two decimals, one element
/// per line with two-space indentation. Same calls → same bytes.
/// </summary>
internal sealed class SvgWriter
{
    private readonly StringBuilder _sb = new();
    private readonly Stack<string> _open = new();

    /// <summary>Opens an element; null attribute values are left out.</summary>
    public SvgWriter Open(string name, params (string Name, object? Value)[] attributes)
    {
        StartTag(name, attributes);
        _sb.Append(">\n");
        _open.Push(name);
        return this;
    }

    /// <summary>Closes the innermost open element.</summary>
    public SvgWriter Close()
    {
        string name = _open.Pop();
        Indent();
        _sb.Append("</").Append(name).Append(">\n");
        return this;
    }

    /// <summary>A self-closing element.</summary>
    public SvgWriter Empty(string name, params (string Name, object? Value)[] attributes)
    {
        StartTag(name, attributes);
        _sb.Append("/>\n");
        return this;
    }

    /// <summary>An element holding escaped text.</summary>
    public SvgWriter Text(string name, string text, params (string Name, object? Value)[] attributes)
    {
        StartTag(name, attributes);
        _sb.Append('>').Append(Escape(text)).Append("</").Append(name).Append(">\n");
        return this;
    }

    public override string ToString()
    {
        Debug.Assert(_open.Count == 0, "unclosed SVG element");
        return _sb.ToString();
    }

    /// <summary>A coordinate or length: invariant culture, at most two decimals, never "-0".</summary>
    public static string Num(double v)
    {
        double r = Math.Round(v, 2);
        return r == 0 ? "0" : r.ToString("0.##", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Escapes text for XML and HTML content and attribute values (&amp; &lt; &gt; &quot; &apos;); characters
    /// XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF) become U+FFFD.
    /// </summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || char.IsSurrogate(c) || c >= 0xFFFE)
                    {
                        sb.Append('\uFFFD');
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    private void StartTag(string name, (string Name, object? Value)[] attributes)
    {
        Indent();
        _sb.Append('<').Append(name);
        foreach (var (key, value) in attributes)
        {
            string? text = value switch
            {
                null => null,
                double d => Num(d),
                float f => Num(f),
                int n => n.ToString(CultureInfo.InvariantCulture),
                string s => Escape(s),
                _ => Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
            };
            if (text is not null)
            {
                _sb.Append(' ').Append(key).Append("=\"").Append(text).Append('"');
            }
        }
    }

    private void Indent() => _sb.Append(' ', 2 * _open.Count);
}
