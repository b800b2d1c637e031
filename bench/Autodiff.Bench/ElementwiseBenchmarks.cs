using System.Globalization;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using TorchSharp;

namespace Autodiff.Bench;

/// <summary>The elementwise operations that <see cref="ElementwiseBenchmarks"/> measures.</summary>
public enum ElementwiseOp
{
    /// <summary>x + y.</summary>
    Add,

    /// <summary>eˣ.</summary>
    Exp,

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    Sigmoid,
}

/// <summary>
/// What the engine adds to an elementwise kernel: <c>x.Add(y)</c>, <c>x.Exp()</c>, <c>x.Sigmoid()</c> on
/// 1,000,000-element <see cref="Tensor{T}"/>s (no tape) against the bare <see cref="TensorPrimitives"/> call that
/// does the arithmetic, writing into a preallocated array (the baseline), and TorchSharp's <c>torch.add/exp/sigmoid</c>
/// for context. One thread everywhere: the engine's elementwise kernels are single-threaded, and so is TorchSharp here.
/// </summary>
/// <remarks>
/// The engine allocates its 4 MB result on every call (a large-object-heap array, not zeroed), so the ratio
/// Engine / TensorPrimitivesRaw is the cost of that allocation (and of the fresh memory it hands out) plus the
/// engine's own code (shape checks, the tape check). <see cref="TensorPrimitivesNewArray"/> splits the two: the
/// bare call into a new array per call. TorchSharp allocates a native tensor each call, disposed at once.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]           // always shown: the ns/elem column is computed from the median
[Config(typeof(NsPerElementConfig))]
[WarmupCount(8)]         // ≥ 3 s of warm-up: the JIT needs 1–2 s before TensorPrimitives.Exp reaches full speed
[MinIterationCount(10)]
[MaxIterationCount(20)]
public class ElementwiseBenchmarks
{
    /// <summary>The number of elements of each operand.</summary>
    public const int Size = 1_000_000;

    private float[] _x = [];
    private float[] _y = [];
    private float[] _destination = [];
    private Tensor<float> _tensorX = null!;
    private Tensor<float> _tensorY = null!;
    private torch.Tensor _torchX = null!;
    private torch.Tensor _torchY = null!;
    private Tape _tape = null!;
    private Tensor<float> _trackedX = null!;

    /// <summary>The operation.</summary>
    [Params(ElementwiseOp.Add, ElementwiseOp.Exp, ElementwiseOp.Sigmoid)]
    public ElementwiseOp Op { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        _tensorX = Tensor.RandomUniform<float>([Size], seed: 1, low: -4.0, high: 4.0);
        _tensorY = Tensor.RandomUniform<float>([Size], seed: 2, low: -4.0, high: 4.0);
        _x = _tensorX.ToArray();
        _y = _tensorY.ToArray();
        _destination = new float[Size];
        _torchX = torch.tensor(_x, [Size]);
        _torchY = torch.tensor(_y, [Size]);
        _trackedX = _tensorX.Detach().RequiresGrad();

        // The three compute the same thing: the engine exactly what TensorPrimitives computes, torch to rounding.
        TensorPrimitivesRaw();
        float[] engine = Engine().ToArray();
        float[] theirs;
        using (torch.Tensor t = TorchOp())
        {
            theirs = t.data<float>().ToArray();
        }

        double worst = 0;
        for (int i = 0; i < Size; i++)
        {
            if (engine[i] != _destination[i])
            {
                throw new InvalidOperationException($"{Op}: the engine differs from TensorPrimitives at {i}.");
            }

            worst = Math.Max(worst, Math.Abs(theirs[i] - _destination[i]) / Math.Max(1.0, Math.Abs(_destination[i])));
        }

        if (worst > 1e-5)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{Op}: torch differs from TensorPrimitives by up to {worst:G3} (relative)."));
        }

        _tape = new Tape(); // current from here on; only EngineOnReusedTape records (its operand requires grad)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {Op}: engine = TensorPrimitives exactly; torch within {worst:G3} (relative); torch threads = {torch.get_num_threads()}"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tape.Dispose();
        _torchX.Dispose();
        _torchY.Dispose();
    }

    /// <summary>The bare <see cref="TensorPrimitives"/> call into a preallocated array: the floor.</summary>
    [Benchmark(Baseline = true)]
    public float TensorPrimitivesRaw()
    {
        Compute(_destination);
        return _destination[0];
    }

    /// <summary>
    /// The bare call into a new uninitialised array per call, as the engine allocates its result: what the
    /// allocation alone costs. Engine / this is then the cost of the engine's own code.
    /// </summary>
    [Benchmark]
    public float TensorPrimitivesNewArray()
    {
        float[] destination = GC.AllocateUninitializedArray<float>(Size);
        Compute(destination);
        return destination[0];
    }

    /// <summary>The same operation through the engine: a new tensor per call, no tape.</summary>
    [Benchmark]
    public Tensor<float> Engine() => EngineOp();

    /// <summary>
    /// The engine in a training loop's steady state: the operand requires grad and the op is recorded on a tape
    /// reset before each call, so the result lives in memory the tape lends and takes back (what every op of a
    /// training step on a reused tape gets). Recording a node is included.
    /// </summary>
    [Benchmark]
    public Tensor<float> EngineOnReusedTape()
    {
        _tape.Reset();
        return Op switch
        {
            ElementwiseOp.Add => _trackedX.Add(_tensorY),
            ElementwiseOp.Exp => _trackedX.Exp(),
            _ => _trackedX.Sigmoid(),
        };
    }

    private Tensor<float> EngineOp() => Op switch
    {
        ElementwiseOp.Add => _tensorX.Add(_tensorY),
        ElementwiseOp.Exp => _tensorX.Exp(),
        _ => _tensorX.Sigmoid(),
    };

    private void Compute(Span<float> destination)
    {
        switch (Op)
        {
            case ElementwiseOp.Add:
                TensorPrimitives.Add(_x, _y, destination);
                break;
            case ElementwiseOp.Exp:
                TensorPrimitives.Exp(_x, destination);
                break;
            default:
                TensorPrimitives.Sigmoid(_x, destination);
                break;
        }
    }

    /// <summary>TorchSharp's <c>torch.add</c>, <c>torch.exp</c>, <c>torch.sigmoid</c> (the caller disposes the result).</summary>
    private torch.Tensor TorchOp() => Op switch
    {
        ElementwiseOp.Add => torch.add(_torchX, _torchY),
        ElementwiseOp.Exp => torch.exp(_torchX),
        _ => torch.sigmoid(_torchX),
    };

    /// <summary>TorchSharp, for context: a new native tensor per call, disposed at once.</summary>
    [Benchmark]
    public long Torch()
    {
        using torch.Tensor t = TorchOp();
        return t.NumberOfElements;
    }
}
