using System.Numerics;

namespace Autodiff;

/// <summary>Creating tensors: zeros, ones, ranges, arrays with a shape, seeded random values.</summary>
public static partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="shape">The extent of each dimension; empty for a scalar tensor.</param>
    public static Tensor<T> Zeros<T>(params ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
        => new(new T[CheckShape<T>(shape, nameof(Zeros))], shape.ToArray());

    /// <summary>A tensor of ones.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="shape">The extent of each dimension.</param>
    public static Tensor<T> Ones<T>(params ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Full(T.One, shape);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="value">The fill value.</param>
    /// <param name="shape">The extent of each dimension.</param>
    public static Tensor<T> Full<T>(T value, params ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = new T[CheckShape<T>(shape, nameof(Full))];
        Array.Fill(data, value);
        return new(data, shape.ToArray());
    }

    /// <summary>A one-element tensor of rank 0.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="value">The value.</param>
    public static Tensor<T> Scalar<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T>
        => new([value], []);

    /// <summary>start, start + step, … up to but excluding <paramref name="end"/>, as a 1-D tensor.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="start">The first value.</param>
    /// <param name="end">The (exclusive) bound.</param>
    /// <param name="step">The increment; must not be 0.</param>
    public static Tensor<T> Arange<T>(T start, T end, T step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T>.CheckElementType(nameof(Arange));
        if (T.IsZero(step) || !T.IsFinite(step))
        {
            throw new ArgumentException($"Arange: step must be finite and non-zero (got {step}).", nameof(step));
        }

        if (!T.IsFinite(start) || !T.IsFinite(end))
        {
            throw new ArgumentException($"Arange: start and end must be finite (got {start} and {end}).", T.IsFinite(start) ? nameof(end) : nameof(start));
        }

        T count = T.Ceiling((end - start) / step);
        if (count > T.CreateChecked(Array.MaxLength))
        {
            throw new ArgumentException($"Arange: [{start}, {end}) in steps of {step} has {count} values, more than an array holds.", nameof(step));
        }

        int n = Math.Max(0, int.CreateChecked(T.Max(count, T.Zero)));
        var data = new T[n];
        for (int i = 0; i < n; i++)
        {
            data[i] = start + (T.CreateChecked(i) * step);
        }

        return new(data, [n]);
    }

    /// <summary>0, 1, …, n − 1 as a 1-D tensor.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="n">How many values.</param>
    public static Tensor<T> Arange<T>(int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Arange(T.Zero, T.CreateChecked(n), T.One);

    /// <summary>A tensor over a copy of <paramref name="values"/> (row-major) with the given shape.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="values">The elements, row-major.</param>
    /// <param name="shape">The shape; its sizes must multiply to the number of values. A 1-D shape when omitted.</param>
    public static Tensor<T> FromArray<T>(ReadOnlySpan<T> values, params ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] s = shape.IsEmpty ? [values.Length] : shape.ToArray();
        int size = CheckShape<T>(s, nameof(FromArray));
        if (size != values.Length)
        {
            throw new ArgumentException($"FromArray: {values.Length} values do not fill shape {Shapes.Format(s)} ({size} elements).", nameof(values));
        }

        return new(values.ToArray(), s);
    }

    /// <summary>A 2-D tensor from a rectangular array.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="values">The matrix.</param>
    public static Tensor<T> FromArray<T>(T[,] values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), cols = values.GetLength(1);
        var data = new T[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                data[(i * cols) + j] = values[i, j];
            }
        }

        return new(data, [rows, cols]);
    }

    /// <summary>Values drawn from N(mean, std²) with a seeded generator, so runs repeat.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="shape">The shape.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation.</param>
    public static Tensor<T> RandomNormal<T>(ReadOnlySpan<int> shape, int seed, double mean = 0.0, double std = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(std >= 0) || !double.IsFinite(std) || !double.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(std), std, $"RandomNormal: std must be finite and ≥ 0, and the mean finite (got mean {mean}, std {std}).");
        }

        var data = new T[CheckShape<T>(shape, nameof(RandomNormal))];
        var random = new Random(seed);
        for (int i = 0; i < data.Length; i++)
        {
            // Box–Muller; 1 − U keeps the logarithm's argument in (0, 1].
            double r = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            data[i] = T.CreateChecked(mean + (std * r * Math.Cos(2.0 * Math.PI * random.NextDouble())));
        }

        return new(data, shape.ToArray());
    }

    /// <summary>Values drawn from U[low, high) with a seeded generator.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="shape">The shape.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="low">The lower bound.</param>
    /// <param name="high">The upper bound.</param>
    public static Tensor<T> RandomUniform<T>(ReadOnlySpan<int> shape, int seed, double low = 0.0, double high = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(low <= high) || !double.IsFinite(low) || !double.IsFinite(high))
        {
            throw new ArgumentOutOfRangeException(nameof(high), high, $"RandomUniform: needs finite bounds with low ≤ high (got low {low}, high {high}).");
        }

        var data = new T[CheckShape<T>(shape, nameof(RandomUniform))];
        var random = new Random(seed);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = T.CreateChecked(low + ((high - low) * random.NextDouble()));
        }

        return new(data, shape.ToArray());
    }

    internal static int CheckShape<T>(ReadOnlySpan<int> shape, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T>.CheckElementType(op);
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"{op}: negative dimension in shape {Shapes.Format(shape)}.", nameof(shape));
            }
        }

        return Shapes.Size(shape);
    }

    /// <summary>Zeros of the shape of <paramref name="x"/>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="x">The template.</param>
    public static Tensor<T> ZerosLike<T>(Tensor<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Zeros<T>(x.Shape);

    /// <summary>Ones of the shape of <paramref name="x"/>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="x">The template.</param>
    public static Tensor<T> OnesLike<T>(Tensor<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Ones<T>(x.Shape);

    /// <summary>A shape as every message of the engine and of Autodiff.NN writes it: "[64, 784]" ("[]" for a scalar).</summary>
    /// <param name="shape">The extents.</param>
    public static string FormatShape(ReadOnlySpan<int> shape)
    {
        var text = new System.Text.StringBuilder("[");
        for (int d = 0; d < shape.Length; d++)
        {
            text.Append(d == 0 ? "" : ", ").Append(shape[d].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }
}
