using System.Runtime.InteropServices;

namespace Offramp.Engine.Kernels;

/// <summary>Reinterprets a generic kernel's spans as float32 once the caller has checked that T is float (the
/// kernels' <c>typeof(T) == typeof(float)</c> branches into their float-only fast paths).</summary>
internal static class SpanCast
{
    public static ReadOnlySpan<float> F32<T>(ReadOnlySpan<T> s)
        where T : unmanaged => MemoryMarshal.Cast<T, float>(s);

    public static Span<float> F32<T>(Span<T> s)
        where T : unmanaged => MemoryMarshal.Cast<T, float>(s);
}
