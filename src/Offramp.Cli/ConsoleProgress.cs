using System.Diagnostics;
using System.Globalization;

namespace Offramp.Cli;

/// <summary>
/// Progress output for long work: an in-place bar (with rate and ETA) on a terminal, plain timestamped lines
/// at most every few seconds when the output is redirected (logs, CI).
/// </summary>
internal sealed class ConsoleProgress
{
    private readonly string _label;
    private readonly long _total;
    private readonly bool _interactive;
    private readonly TextWriter _out;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _plainEvery;
    private TimeSpan _lastPlain = TimeSpan.MinValue;
    private int _lastWidth;

    public ConsoleProgress(string label, long total, TextWriter? output = null, bool? interactive = null, TimeSpan? plainEvery = null)
    {
        _label = label;
        _total = Math.Max(1, total);
        _out = output ?? Console.Out;
        _interactive = interactive ?? (!Console.IsOutputRedirected && output is null);
        _plainEvery = plainEvery ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>Reports <paramref name="done"/> units finished, with an optional status text (loss, accuracy…).</summary>
    public void Report(long done, string status = "")
    {
        var elapsed = _clock.Elapsed;
        double frac = Math.Clamp(done / (double)_total, 0, 1);
        double rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
        var eta = rate > 0 ? TimeSpan.FromSeconds((_total - done) / rate) : TimeSpan.Zero;
        if (_interactive)
        {
            const int width = 28;
            int filled = (int)Math.Round(frac * width);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"\r{_label} [{new string('#', filled)}{new string('.', width - filled)}] {frac * 100,5:F1}% {done}/{_total} {status} eta {eta:mm\\:ss}");
            var pad = _lastWidth > line.Length ? new string(' ', _lastWidth - line.Length) : string.Empty;
            _lastWidth = line.Length;
            _out.Write(line + pad);
            if (done >= _total)
            {
                _out.WriteLine();
            }
        }
        else if (done >= _total || _lastPlain == TimeSpan.MinValue || elapsed - _lastPlain >= _plainEvery)
        {
            _lastPlain = elapsed;
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{_label}: {done}/{_total} ({frac * 100:F1}%) {status} elapsed {elapsed:hh\\:mm\\:ss} eta {eta:hh\\:mm\\:ss}"));
        }
    }

    /// <summary>Ends the bar (moves to a fresh line on a terminal).</summary>
    public void Finish()
    {
        if (_interactive && _lastWidth > 0)
        {
            _out.WriteLine();
            _lastWidth = 0;
        }
    }
}
