using System.Text;

namespace Offramp.Reports;

/// <summary>Writes a whole file so readers see the old or the new contents, never a partial file.</summary>
internal static class AtomicFile
{
    /// <summary>Writes UTF-8 (no BOM) to a temporary file beside the target, then renames it over the target.</summary>
    public static void WriteAllText(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temp, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
