namespace Offramp.Engine.Nn;

/// <summary>Argument checks shared by the pooling modules.</summary>
internal static class PoolArgs
{
    public static (int K, int S, int P) Check(string name, int kernel, int? stride, int padding)
    {
        int s = stride ?? kernel;
        if (kernel <= 0 || s <= 0 || padding < 0 || padding > kernel / 2)
        {
            throw new ArgumentException($"{name}: invalid kernel_size={kernel}, stride={s}, padding={padding} " +
                "(positive kernel and stride; padding at most half the kernel)");
        }

        return (kernel, s, padding);
    }

    public static Tensor Check4d(string name, Tensor x) => x.Rank == 4
        ? x
        : throw new ArgumentException($"{name} expects (N, C, H, W), got input {Shape.Format(x.Shape)}");
}
