namespace Offramp.Engine.Tests.Memory;

public class TensorMemoryTests
{
    private static float StepLoss(Tensor w, Tensor x)
    {
        using var step = TensorMemory.Step();
        var y = x.Mul(w).Add(x).Sum();
        y.Backward();
        return (float)y.Item();
    }

    [Fact]
    public void Step_RepeatedSteps_ReuseBuffersAndKeepGradients()
    {
        var w = Tensor.Full([64, 64], 0.5).WithGrad();
        var x = Tensor.Full([64, 64], 2.0);
        float first = StepLoss(w, x);
        long pooledAfterFirst = TensorMemory.PooledBytes;
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(first, StepLoss(w, x));
        }

        // The same step shapes need no new pooled buffers after the first step.
        Assert.Equal(pooledAfterFirst, TensorMemory.PooledBytes);
        Assert.True(pooledAfterFirst > 0);

        // Gradients accumulated over 6 steps live outside the arena and are intact.
        Assert.All(w.Grad!.ToArray(), g => Assert.Equal(6 * 2.0f, g));
        TensorMemory.Trim();
    }

    [Fact]
    public void Step_TensorUsedAfterScope_Throws()
    {
        Tensor escaped;
        using (TensorMemory.Step())
        {
            escaped = Tensor.Ones(8, 8).Mul(3.0);
            Assert.Equal(3.0f, escaped.Span[0]);
        }

        var ex = Assert.Throws<ObjectDisposedException>(() => escaped.Span[0]);
        Assert.Contains("(8, 8)", ex.Message);
        TensorMemory.Trim();
    }

    [Fact]
    public void Step_PersistentScope_AllocatesOutsideArena()
    {
        Tensor kept;
        using (TensorMemory.Step())
        {
            var t = Tensor.Ones(4).Mul(2.0);
            using (TensorMemory.Persistent())
            {
                kept = t.CloneData();
            }
        }

        Assert.Equal(new float[] { 2, 2, 2, 2 }, kept.ToArray());
        TensorMemory.Trim();
    }

    [Fact]
    public void SubStep_ReleasesItsTensorsButNotTheStepsOrOuterOnes()
    {
        using (TensorMemory.Step())
        {
            var before = Tensor.Ones(6).Mul(2.0);
            Tensor inner, kept;
            using (TensorMemory.SubStep())
            {
                inner = Tensor.Ones(6).Mul(3.0);
                using (TensorMemory.Outer())
                {
                    kept = inner.Mul(2.0);
                }

                // Back in the sub-step after Outer: new tensors are the sub-step's again.
                var again = Tensor.Ones(6);
                Assert.Equal(1f, again.Span[0]);
                inner = again.Add(inner);
            }

            Assert.Throws<ObjectDisposedException>(() => inner.Span[0]);
            Assert.Equal(6f, kept.Span[5]);
            Assert.Equal(2f, before.Span[0]);

            // The sub-step's buffers went back to the pool: a second sub-step of the same shapes needs no new ones.
            long pooled = TensorMemory.PooledBytes;
            using (TensorMemory.SubStep())
            {
                var t = Tensor.Ones(6).Mul(3.0);
                Assert.Equal(4f, Tensor.Ones(6).Add(t).Span[0]);
            }

            Assert.Equal(pooled, TensorMemory.PooledBytes);
        }

        Assert.Throws<InvalidOperationException>(() => TensorMemory.SubStep());
        Assert.Throws<InvalidOperationException>(() => TensorMemory.Outer());
        using (TensorMemory.Step())
        {
            Assert.Throws<InvalidOperationException>(() => TensorMemory.Outer());
            using (TensorMemory.SubStep())
            {
                Assert.Throws<InvalidOperationException>(() => TensorMemory.Step());
            }
        }

        TensorMemory.Trim();
    }

    [Fact]
    public void Step_Nested_Throws()
    {
        using (TensorMemory.Step())
        {
            Assert.Throws<InvalidOperationException>(() => TensorMemory.Step());
        }
    }

    [Fact]
    public void Step_ReusedBuffer_IsZeroed()
    {
        using (TensorMemory.Step())
        {
            Tensor.Full([100], 7.0);
        }

        using (TensorMemory.Step())
        {
            var z = Tensor.Zeros(100);
            Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        }

        TensorMemory.Trim();
    }
}
