using Offramp.Engine.Functional;
using Offramp.Engine.Nn;
using Offramp.Engine.Optim;

namespace Offramp.Engine.Tests.Training;

/// <summary>
/// Issue 2's end-to-end check: an MLP and a small CNN built from the engine's layers learn seeded synthetic
/// problems with SGD and with AdamW, and training gives bit-identical weights for 1 and 2 threads.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class SyntheticTrainingTests
{
    private const int Classes = 4;

    // Four Gaussian blobs in 16 dimensions, centres at ±1.2 on two random axes, unit noise.
    private static (Tensor X, int[] Y) Blobs(ulong seed, int n)
    {
        var rng = new Rng(seed);
        var centres = Tensor.Randn(new Rng(99), [Classes, 16]).Mul(1.2);
        var x = Tensor.Randn(rng, [n, 16]);
        var y = new int[n];
        var xs = x.Span;
        var cs = centres.Span;
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.NextInt(Classes);
            for (int j = 0; j < 16; j++)
            {
                xs[i * 16 + j] += cs[y[i] * 16 + j];
            }
        }

        return (x, y);
    }

    // 1×12×12 noisy images; the class is the quadrant holding a bright 3×3 square at a random position.
    private static (Tensor X, int[] Y) Squares(ulong seed, int n)
    {
        var rng = new Rng(seed);
        var x = Tensor.Randn(rng, [n, 1, 12, 12]).Mul(0.3);
        var y = new int[n];
        var xs = x.Span;
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.NextInt(Classes);
            int r0 = (y[i] / 2) * 6 + rng.NextInt(4), c0 = (y[i] % 2) * 6 + rng.NextInt(4);
            for (int r = r0; r < r0 + 3; r++)
            {
                for (int c = c0; c < c0 + 3; c++)
                {
                    xs[i * 144 + r * 12 + c] += 1.5f;
                }
            }
        }

        return (x, y);
    }

    private static Module Mlp(Rng rng) => new Sequential(new Linear(16, 64, rng), new ReLU(), new Linear(64, 64, rng), new GELU(), new Linear(64, Classes, rng));

    private static Module Cnn(Rng rng) => new Sequential(
        new Conv2d(1, 8, 3, rng, padding: 1), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
        new Conv2d(8, 16, 3, rng, padding: 1), new BatchNorm2d(16), new ReLU(), new AdaptiveAvgPool2d(2),
        new Flatten(), new Linear(64, Classes, rng));

    private static Module Train(Func<Rng, Module> build, Func<ulong, int, (Tensor, int[])> data, bool adamw, int steps)
    {
        var model = build(new Rng(7));
        Optimizer opt = adamw ? new AdamW(model.Parameters(), lr: 3e-3, weightDecay: 1e-4) : new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9, nesterov: true);
        var (x, y) = data(1, 32 * steps);
        int d = x.Numel / x.Shape[0];
        model.Train();
        for (int s = 0; s < steps; s++)
        {
            var rows = Enumerable.Range(s * 32, 32).ToArray();
            using (TensorMemory.Step())
            {
                opt.ZeroGrad(setToNone: false);
                var loss = F.CrossEntropy(model.Forward(x.IndexSelect(0, rows)), rows.Select(r => y[r]).ToArray());
                loss.Backward();
                Assert.True(double.IsFinite(loss.Item()));
            }

            opt.Step();
        }

        return model;
    }

    private static double Accuracy(Module model, Func<ulong, int, (Tensor, int[])> data)
    {
        var (x, y) = data(2, 512);
        model.Eval();
        using var _ = Engine.Autograd.NoGrad();
        var pred = model.Forward(x).ArgMax(1);
        return pred.Zip(y).Count(p => p.First == p.Second) / (double)y.Length;
    }

    public static TheoryData<string, bool> Cases => new() { { "mlp", false }, { "mlp", true }, { "cnn", false }, { "cnn", true } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Train_SyntheticProblem_ReachesAccuracy(string arch, bool adamw)
    {
        var model = arch == "mlp" ? Train(Mlp, Blobs, adamw, 150) : Train(Cnn, Squares, adamw, 150);
        double acc = arch == "mlp" ? Accuracy(model, Blobs) : Accuracy(model, Squares);
        // Chance is 25 %. The blobs overlap a little (Bayes accuracy ≈ 97 %); the squares are unambiguous.
        Assert.True(acc >= (arch == "mlp" ? 0.90 : 0.95), $"{arch} with {(adamw ? "AdamW" : "SGD")}: test accuracy {acc:P1}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Train_OneVersusTwoThreads_BitIdenticalWeights(string arch, bool adamw)
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            var a = arch == "mlp" ? Train(Mlp, Blobs, adamw, 20) : Train(Cnn, Squares, adamw, 20);
            Parallelism.Threads = 2;
            var b = arch == "mlp" ? Train(Mlp, Blobs, adamw, 20) : Train(Cnn, Squares, adamw, 20);
            foreach (var (key, t) in a.StateDict())
            {
                var other = b.StateDict()[key].ToArray();
                Assert.True(t.ToArray().SequenceEqual(other), $"{arch}/{(adamw ? "AdamW" : "SGD")}: '{key}' differs between 1 and 2 threads");
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}

/// <summary>Tests that change <see cref="Parallelism.Threads"/> run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    public const string Name = "thread count";
}
