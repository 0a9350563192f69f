using Offramp.Engine.IO;

namespace Offramp.Reports;

/// <summary>Writes a report's files (HTML, JSON, CSV) into one folder, each atomically.</summary>
internal static class ReportFiles
{
    /// <summary>Creates <paramref name="directory"/> if needed and writes every (file name, text) pair.</summary>
    /// <returns>The paths written, in the order given.</returns>
    public static IReadOnlyList<string> WriteAll(string directory, IReadOnlyDictionary<string, string> files)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(directory, name);
            AtomicFile.WriteAllText(path, text);
            written.Add(path);
        }

        return written;
    }
}
