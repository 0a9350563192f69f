using Offramp.Data;
using Offramp.Engine.IO;
using Offramp.Imaging;
using Offramp.Inference;

namespace Offramp.Cli.Commands;

/// <summary>The inference commands' error mapping: bad inputs the user can fix (an image, a thresholds file for
/// another model, a budget below the first exit) become a clear message and exit code 2, never a stack trace.</summary>
internal static class InferenceGuard
{
    public static int Run(Func<int> body) => Cli.Guard(() =>
    {
        try
        {
            return body();
        }
        catch (ImageFormatException e)
        {
            throw new UsageException($"image {e.Message}", e);
        }
        catch (IdxFormatException e)
        {
            throw new UsageException($"IDX file {e.Message}", e);
        }
        catch (ThresholdsFileException e)
        {
            throw new UsageException(e.Message, e);
        }
        catch (ModelMismatchException e)
        {
            throw new UsageException(e.Message, e);
        }
        catch (SafetensorsFormatException e)
        {
            throw new UsageException(e.Message, e);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "budget")
        {
            throw new UsageException("--budget: " + e.Message.Replace(" (Parameter 'budget')", "", StringComparison.Ordinal), e);
        }
        catch (FileNotFoundException e) when (e is not DatasetNotFoundException)
        {
            throw new UsageException($"{e.FileName ?? "file"}: not found", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new UsageException(e.Message, e);
        }
        catch (FormatException e)
        {
            // Any other malformed file of the run (a training log line, a cached outputs file).
            throw new UsageException(e.Message, e);
        }
        catch (IOException e) when (e is not (DataFormatException or DatasetNotFoundException))
        {
            throw new UsageException($"file error: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"file error: {e.Message}", e);
        }
    });
}
