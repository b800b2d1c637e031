using System.Globalization;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Autodiff.Bench;

/// <summary>
/// The machine's float32 FMA peak, the ceiling that every GFLOP/s figure here is read against: 16 independent chains
/// of fused multiply–adds on the widest vectors the CPU accelerates (512-bit where <see cref="Vector512"/> is
/// accelerated, else 256-bit), nothing else in the loop, on 1 and on 2 threads at once.
/// </summary>
/// <remarks>
/// 16 chains cover the FMA latency (4–5 cycles) times the FMA ports (2) of the cores seen here, so the loop is bound
/// by throughput. Like the GEMM's, the vector width is chosen at start-up. The result feeds a sum that is returned, so
/// the chains cannot be removed.
/// </remarks>
[Config(typeof(FmaPeakConfig))]
[MedianColumn]
[WarmupCount(3)]
[IterationCount(15)]
public class FmaPeakBenchmarks
{
    /// <summary>Iterations of the 16 chains per thread and invocation.</summary>
    public const int Iterations = 4_000_000;

    /// <summary>Threads running the chains at once.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Float lanes per vector on this machine.</summary>
    public static int Lanes => Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;

    /// <summary>Floating-point operations of one invocation: 2 per lane per FMA.</summary>
    public static double Flops(int threads) => 2.0 * 16 * Lanes * Iterations * threads;

    [Benchmark]
    public float Fma()
    {
        if (Threads == 1)
        {
            return Chains();
        }

        var sums = new float[Threads];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t => sums[t] = Chains());
        return sums.Sum();
    }

    private static float Chains() => Vector512.IsHardwareAccelerated ? Chains512() : Chains256();

    private static float Chains512()
    {
        Vector512<float> m = Vector512.Create(0.9999999f), c = Vector512.Create(1e-7f);
        // Sixteen different starting values, so that no chain is provably a copy of another.
        Vector512<float> a0 = Vector512.Create(1.00f), a1 = Vector512.Create(1.01f), a2 = Vector512.Create(1.02f), a3 = Vector512.Create(1.03f);
        Vector512<float> a4 = Vector512.Create(1.04f), a5 = Vector512.Create(1.05f), a6 = Vector512.Create(1.06f), a7 = Vector512.Create(1.07f);
        Vector512<float> a8 = Vector512.Create(1.08f), a9 = Vector512.Create(1.09f), a10 = Vector512.Create(1.10f), a11 = Vector512.Create(1.11f);
        Vector512<float> a12 = Vector512.Create(1.12f), a13 = Vector512.Create(1.13f), a14 = Vector512.Create(1.14f), a15 = Vector512.Create(1.15f);
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c);
            a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c);
            a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c);
            a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c);
            a11 = Vector512.FusedMultiplyAdd(a11, m, c);
            a12 = Vector512.FusedMultiplyAdd(a12, m, c);
            a13 = Vector512.FusedMultiplyAdd(a13, m, c);
            a14 = Vector512.FusedMultiplyAdd(a14, m, c);
            a15 = Vector512.FusedMultiplyAdd(a15, m, c);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
    }

    private static float Chains256()
    {
        Vector256<float> m = Vector256.Create(0.9999999f), c = Vector256.Create(1e-7f);
        // Sixteen different starting values, so that no chain is provably a copy of another.
        Vector256<float> a0 = Vector256.Create(1.00f), a1 = Vector256.Create(1.01f), a2 = Vector256.Create(1.02f), a3 = Vector256.Create(1.03f);
        Vector256<float> a4 = Vector256.Create(1.04f), a5 = Vector256.Create(1.05f), a6 = Vector256.Create(1.06f), a7 = Vector256.Create(1.07f);
        Vector256<float> a8 = Vector256.Create(1.08f), a9 = Vector256.Create(1.09f), a10 = Vector256.Create(1.10f), a11 = Vector256.Create(1.11f);
        Vector256<float> a12 = Vector256.Create(1.12f), a13 = Vector256.Create(1.13f), a14 = Vector256.Create(1.14f), a15 = Vector256.Create(1.15f);
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c);
            a11 = Vector256.FusedMultiplyAdd(a11, m, c);
            a12 = Vector256.FusedMultiplyAdd(a12, m, c);
            a13 = Vector256.FusedMultiplyAdd(a13, m, c);
            a14 = Vector256.FusedMultiplyAdd(a14, m, c);
            a15 = Vector256.FusedMultiplyAdd(a15, m, c);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
    }
}

/// <summary>Adds a GFLOP/s column (the FMA loop's operations / median time) to <see cref="FmaPeakBenchmarks"/>.</summary>
internal sealed class FmaPeakConfig : ManualConfig
{
    public FmaPeakConfig() => AddColumn(new ThroughputColumn(
        "GFLOP/s",
        "2 × lanes × 16 chains × iterations × threads / median time",
        c => FmaPeakBenchmarks.Flops(Convert.ToInt32(c.Parameters["Threads"], CultureInfo.InvariantCulture)),
        perNanosecond: true));

    /// <summary>A GFLOP/s column for a training step of <paramref name="multiplyAdds"/> multiply–adds.</summary>
    public static ThroughputColumn Step(double multiplyAdds) => new(
        "GFLOP/s", "2 × the step's multiply–adds / median time", _ => 2 * multiplyAdds, perNanosecond: true);
}

/// <summary>GFLOP/s of the transformer step: 2 × its multiply–adds / median time.</summary>
internal sealed class TransformerStepConfig : ManualConfig
{
    public TransformerStepConfig() => AddColumn(FmaPeakConfig.Step(TransformerPair.MultiplyAdds));
}

/// <summary>GFLOP/s of the LSTM step: 2 × its multiply–adds / median time.</summary>
internal sealed class LstmStepConfig : ManualConfig
{
    public LstmStepConfig() => AddColumn(FmaPeakConfig.Step(LstmPair.MultiplyAdds));
}
