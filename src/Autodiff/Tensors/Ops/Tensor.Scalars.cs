using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Crossing between the two faces of the engine on one tape (see Tape.Mixed.cs for how the sweep handles it):
// a one-element tensor becomes a Scalar, and Scalars become a tensor, with gradients flowing both ways.
public sealed partial class Tensor<T>
{
    /// <summary>
    /// This one-element tensor as a <see cref="Scalar"/> on the current tape, for scalar code to continue from:
    /// gradients taken through the scalar flow back into this tensor (and on to its inputs and their <c>.Grad</c>).
    /// </summary>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="InvalidOperationException">There is no current tape, or the tensor has more than one element.</exception>
    public Scalar ToScalar([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        if (Size != 1)
        {
            Shapes.Throw(nameof(ToScalar), $"the tensor has shape {Shapes.Format(_shape)} ({Size} elements); only a one-element tensor converts to a Scalar.", file, line);
        }

        if (Tape.Current is not { } tape)
        {
            throw new InvalidOperationException($"ToScalar{Shapes.Where(file, line)}: a Scalar lives on a tape; create one first (`using var tape = new Tape();`).");
        }

        return tape.RecordFromTensor(this, file, line);
    }
}

public static partial class Tensor
{
    /// <summary>
    /// A tensor of the given shape whose elements are <paramref name="values"/> (row-major): recorded on their tape,
    /// so gradients reaching the tensor flow on to the scalars.
    /// </summary>
    /// <typeparam name="T">float or double (scalars are double; float tensors round them).</typeparam>
    /// <param name="values">The elements, all on one live tape.</param>
    /// <param name="shape">The shape; its size must be the number of values. A 1-D tensor when empty.</param>
    public static Tensor<T> FromScalars<T>(ReadOnlySpan<Scalar> values, params ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] s = shape.Length == 0 ? [values.Length] : shape.ToArray();
        if (Shapes.Size(s) != values.Length)
        {
            Shapes.Throw(nameof(FromScalars), $"{values.Length} scalars do not fill shape {Shapes.Format(s)}.", null, 0);
        }

        var data = new T[values.Length];
        var slots = new int[values.Length];
        Tape? tape = null;
        for (int i = 0; i < values.Length; i++)
        {
            Tape own = Tape.Of(values[i], nameof(FromScalars));
            if (tape is not null && !ReferenceEquals(own, tape))
            {
                throw new InvalidOperationException($"FromScalars: values[{i}] is on another tape than values[0]; all scalars must come from one tape.");
            }

            tape = own;
            data[i] = T.CreateChecked(values[i].Value);
            slots[i] = values[i].Index;
        }

        var y = new Tensor<T>(data, s);
        if (tape is null || !Autograd.IsGradEnabled)
        {
            return y;
        }

        tape.MarkMixed();
        tape.Record(new TensorNode<T>(nameof(FromScalars), [], y, g =>
        {
            tape.AddScalarAdjoints(slots, g.Span);
            return [];
        }, null, 0));
        return y;
    }
}
