using System.Globalization;
using BenchmarkDotNet.Attributes;
using TorchSharp;

namespace Autodiff.Bench;

/// <summary>
/// Single-precision matrix product C = A·B of square n × n matrices: our <see cref="Tensor{T}.MatMul"/> against
/// <c>torch.matmul</c> (TorchSharp 0.107.0, LibTorch 2.10.0 CPU) on the same data, 1 and 2 threads.
/// </summary>
/// <remarks>
/// <para>
/// Both sides allocate their result on every call, as a user's code would: our <c>MatMul</c> a managed array (a
/// large-object-heap array from n = 256 on), <c>torch.matmul</c> a native tensor, disposed at once. The inputs
/// are untracked leaves and no tape is current, so nothing is recorded. The thread count is set in
/// <see cref="Setup"/> on both sides: <see cref="Parallelism.MaxThreads"/> and <c>torch.set_num_threads</c>.
/// </para>
/// <para>
/// The GFLOP/s column is 2n³ / median time. <see cref="Setup"/> also checks that both compute the same product,
/// which is the proof that TorchSharp's native library loads and works (see bench/build/TorchSharpOnDebian12.targets).
/// </para>
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]           // always shown: the GFLOP/s column is computed from the median
[Config(typeof(GflopsConfig))]
[WarmupCount(5)]         // enough for tiering: an iteration is ≥ 0.5 s, or one call at n = 1024
[MinIterationCount(8)]
[MaxIterationCount(20)]  // 24 cases: keep the class to a few minutes on the shared 2-core machine
public class SgemmBenchmarks
{
    private Tensor<float> _a = null!;
    private Tensor<float> _b = null!;
    private torch.Tensor _torchA = null!;
    private torch.Tensor _torchB = null!;
    private Tensor<float> _trackedA = null!;
    private Tape _tape = null!;

    /// <summary>The order of the square matrices.</summary>
    [Params(128, 256, 512, 1024)]
    public int N { get; set; }

    /// <summary>The number of threads each library may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadCount.UseOnBothSides(Threads);

        _a = Tensor.RandomUniform<float>([N, N], seed: 1, low: -1.0, high: 1.0);
        _b = Tensor.RandomUniform<float>([N, N], seed: 2, low: -1.0, high: 1.0);
        _torchA = torch.tensor(_a.ToArray(), [N, N]);
        _torchB = torch.tensor(_b.ToArray(), [N, N]);

        // Same product on both sides, to float rounding (entries are sums of n products of magnitude ≤ 1).
        float[] ours = _a.MatMul(_b).ToArray();
        float[] theirs;
        using (torch.Tensor c = torch.matmul(_torchA, _torchB))
        {
            theirs = c.data<float>().ToArray();
        }

        double worst = 0, largest = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]));
            largest = Math.Max(largest, Math.Abs(theirs[i]));
        }

        if (ours.Length != theirs.Length || worst > 1e-4 * largest)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"MatMul and torch.matmul disagree at n = {N}: max |Δ| = {worst:G3} for entries up to {largest:G3}."));
        }

        _trackedA = _a.Detach().RequiresGrad();
        _tape = new Tape(); // current from here on; only OursOnReusedTape records (its operand requires grad)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// n = {N}, threads = {Threads} (ours {Parallelism.MaxThreads}, torch {torch.get_num_threads()}): MatMul matches torch.matmul, max |Δ| = {worst:G3} for entries up to {largest:G3}"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tape.Dispose();
        _torchA.Dispose();
        _torchB.Dispose();
    }

    /// <summary>C = A·B with <c>torch.matmul</c>; the result tensor is disposed at once.</summary>
    [Benchmark(Baseline = true)]
    public long Torch()
    {
        using torch.Tensor c = torch.matmul(_torchA, _torchB);
        return c.NumberOfElements;
    }

    /// <summary>C = A·B with our <see cref="Tensor{T}.MatMul"/>.</summary>
    [Benchmark]
    public Tensor<float> Ours() => _a.MatMul(_b);

    /// <summary>
    /// The same product as a training step computes it: A requires grad and a reused tape, reset before each call,
    /// lends the result's memory, so no array is allocated (recording the node is included).
    /// </summary>
    [Benchmark]
    public Tensor<float> OursOnReusedTape()
    {
        _tape.Reset();
        return _trackedA.MatMul(_b);
    }
}
