namespace Offramp.Reports;

/// <summary>How a <see cref="LineChart"/> series is drawn.</summary>
public enum SeriesStyle
{
    /// <summary>A line through the points and a marker on each (the default).</summary>
    LinesAndMarkers,

    /// <summary>A line only.</summary>
    Lines,

    /// <summary>Markers only (a scatter plot).</summary>
    Markers,
}

/// <summary>One named series of a <see cref="LineChart"/>: points (x[i], y[i]) in order.</summary>
/// <remarks>A point with a NaN or infinite coordinate is skipped and breaks the line there.</remarks>
public sealed class ChartSeries
{
    internal ChartSeries(string name, double[] x, double[] y, SeriesStyle style)
    {
        Name = name;
        X = x;
        Y = y;
        Style = style;
    }

    /// <summary>Name shown in the legend.</summary>
    public string Name { get; }

    /// <summary>x coordinates (a copy of what was added).</summary>
    public IReadOnlyList<double> X { get; }

    /// <summary>y coordinates, same length as <see cref="X"/>.</summary>
    public IReadOnlyList<double> Y { get; }

    /// <summary>Lines, markers or both.</summary>
    public SeriesStyle Style { get; }

    /// <summary>Indices of points with both coordinates finite.</summary>
    internal IEnumerable<int> FinitePoints() =>
        Enumerable.Range(0, X.Count).Where(i => double.IsFinite(X[i]) && double.IsFinite(Y[i]));
}

/// <summary>A labelled mark drawn over a <see cref="LineChart"/>'s data, e.g. a budget line.</summary>
/// <param name="Kind">Vertical line at <paramref name="X"/>, horizontal line at <paramref name="Y"/>, or a point.</param>
/// <param name="X">x of a vertical line or point (ignored for a horizontal line).</param>
/// <param name="Y">y of a horizontal line or point (ignored for a vertical line).</param>
/// <param name="Label">Text next to the mark.</param>
public sealed record ChartAnnotation(AnnotationKind Kind, double X, double Y, string Label);

/// <summary>What a <see cref="ChartAnnotation"/> draws.</summary>
public enum AnnotationKind
{
    /// <summary>A dashed vertical line across the plot, labelled at the top.</summary>
    VerticalLine,

    /// <summary>A dashed horizontal line across the plot, labelled at the right end.</summary>
    HorizontalLine,

    /// <summary>A ringed point with its label beside it.</summary>
    Point,
}
