using System.Text;

namespace Offramp.Engine.IO;

/// <summary>
/// Writes whole files so that readers see the old contents or the new, never a partial file: the bytes go to a
/// temporary file in the same folder, are flushed to disk, and the file is renamed over the destination
/// (rename(2) on Unix). On failure the temporary file is removed and the destination is untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes the file through <paramref name="write"/>, atomically; creates the folder if needed.</summary>
    /// <exception cref="IOException">The file cannot be written; <paramref name="path"/> is then left untouched.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file", nameof(path));
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }

    /// <summary>Writes <paramref name="bytes"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, atomically.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
}
