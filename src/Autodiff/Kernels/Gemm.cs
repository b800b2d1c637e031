namespace Autodiff.Kernels;

/// <summary>Placeholder triple loop until the packed kernel lands.</summary>
internal static class Gemm
{
    public static void Multiply(ReadOnlySpan<float> a, bool ta, ReadOnlySpan<float> b, bool tb, Span<float> c, int m, int n, int k, bool accumulate = false, int maxThreads = 1)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (ta ? a[(p * m) + i] : a[(i * k) + p]) * (tb ? b[(j * k) + p] : b[(p * n) + j]);
                }

                c[(i * n) + j] = accumulate ? c[(i * n) + j] + s : s;
            }
        }
    }

    public static void Multiply(ReadOnlySpan<double> a, bool ta, ReadOnlySpan<double> b, bool tb, Span<double> c, int m, int n, int k, bool accumulate = false, int maxThreads = 1)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (ta ? a[(p * m) + i] : a[(i * k) + p]) * (tb ? b[(j * k) + p] : b[(p * n) + j]);
                }

                c[(i * n) + j] = accumulate ? c[(i * n) + j] + s : s;
            }
        }
    }
}
