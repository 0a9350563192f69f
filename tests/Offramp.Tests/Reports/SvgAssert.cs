using System.Xml.Linq;

namespace Offramp.Tests.Reports;

/// <summary>Parses SVG text with System.Xml (so invalid XML fails the test) and counts elements by class.</summary>
internal static class SvgAssert
{
    public static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public static XDocument Parse(string svg)
    {
        var doc = XDocument.Parse(svg);
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        return doc;
    }

    public static IEnumerable<XElement> ByClass(XDocument doc, string name, string cls) =>
        doc.Descendants(Svg + name).Where(e => (string?)e.Attribute("class") == cls);

    public static int Count(XDocument doc, string name, string cls) => ByClass(doc, name, cls).Count();

    /// <summary>Every &lt;svg&gt;…&lt;/svg&gt; fragment of an HTML page.</summary>
    public static List<string> SvgFragments(string html)
    {
        var parts = new List<string>();
        int at = 0;
        while ((at = html.IndexOf("<svg", at, StringComparison.Ordinal)) >= 0)
        {
            int end = html.IndexOf("</svg>", at, StringComparison.Ordinal) + "</svg>".Length;
            parts.Add(html[at..end]);
            at = end;
        }

        return parts;
    }
}
