using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>The functions whose Hessian–vector products <see cref="HessianVectorProductBenchmarks"/> measures.</summary>
public enum HvpFunction
{
    /// <summary>Cross-entropy of an MLP 784-128-10 (tanh) on a batch of 64, as a function of its first weight matrix.</summary>
    Mlp,

    /// <summary>The Rosenbrock function in 100,000 dimensions (elementwise ops only).</summary>
    Rosenbrock,
}

/// <summary>
/// What a Hessian–vector product costs next to one gradient (the baseline): <c>Autograd.HessianVectorProduct</c>
/// records the gradient and sweeps back through it, so the theory says about 2–4 gradients. Target: ≤ 4×.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(4)]
[MinIterationCount(10)]
[MaxIterationCount(30)]
public class HessianVectorProductBenchmarks
{
    private Func<Tensor<float>, Tensor<float>> _f = null!;
    private Tensor<float> _x = null!;
    private Tensor<float> _v = null!;

    /// <summary>The function.</summary>
    [Params(HvpFunction.Mlp, HvpFunction.Rosenbrock)]
    public HvpFunction Function { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        if (Function == HvpFunction.Mlp)
        {
            Tensor<float> data = Tensor.RandomUniform<float>([64, 784], seed: 1, low: 0, high: 1);
            Tensor<float> w2 = Tensor.RandomNormal<float>([10, 128], seed: 2).Mul(0.1f);
            var random = new Random(3);
            int[] labels = Enumerable.Range(0, 64).Select(_ => random.Next(10)).ToArray();
            _f = w1 => Tensor.CrossEntropy(Tensor.Linear(Tensor.Linear(data, w1).Tanh(), w2), labels).Mean();
            _x = Tensor.RandomNormal<float>([128, 784], seed: 4).Mul(0.03f);
        }
        else
        {
            _f = x =>
            {
                int n = x.Size;
                Tensor<float> head = x.Narrow(0, 0, n - 1), tail = x.Narrow(0, 1, n - 1);
                return tail.Sub(head.Mul(head)).Pow(2f).Mul(100f).Add(head.RSub(1f).Pow(2f)).Sum();
            };
            _x = Tensor.RandomUniform<float>([100_000], seed: 5, low: -1, high: 1);
        }

        _v = Tensor.RandomNormal<float>(_x.ShapeArray(), seed: 6);
    }

    /// <summary>∇f(x): one forward pass and one backward sweep.</summary>
    [Benchmark(Baseline = true)]
    public Tensor<float> Gradient() => Autograd.Grad(_f, _x);

    /// <summary>H·v: a recorded gradient and a sweep back through it.</summary>
    [Benchmark]
    public Tensor<float> HessianVectorProduct() => Autograd.HessianVectorProduct(_f, _x, _v);
}
