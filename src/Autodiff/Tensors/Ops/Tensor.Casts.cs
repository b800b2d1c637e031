using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Casts between float and double, differentiable: a float network's loss can be accumulated in double, or a double
// gradient check run through a float layer. The node's output has the new element type and its input the old one,
// so the gradient goes back through the node's foreign-input hook, cast back to the input's type.
public sealed partial class Tensor<T>
{
    /// <summary>This tensor as float32 (rounded to nearest), as <c>x.float()</c>.</summary>
    /// <remarks>Backward: g cast back to this tensor's type.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<float> ToFloat([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0) => Cast<float>(nameof(ToFloat), file, line);

    /// <summary>This tensor as float64 (exact from float32), as <c>x.double()</c>.</summary>
    /// <remarks>Backward: g cast back to this tensor's type.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<double> ToDouble([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0) => Cast<double>(nameof(ToDouble), file, line);

    private Tensor<TTo> Cast<TTo>(string op, string? file, int line)
        where TTo : unmanaged, IFloatingPointIeee754<TTo>
    {
        var y = new Tensor<TTo>(Tensor.Uninitialized<TTo>(Size), _shape);
        TensorPrimitives.ConvertChecked<T, TTo>(Data, y.Data);
        y.TracedAs(op, file, line).Traced("input", this); // the input has the other element type: an attribute
        if (!GradRequired || Autograd.Probed<T>([this]) || !Autograd.IsGradEnabled || Tape.Current is not { } tape)
        {
            y.KeepLentArray();
            return y;
        }

        tape.ValidateInput(this, op, file, line);
        Tensor<T> x = this;
        string back = typeof(T) == typeof(float) ? nameof(ToFloat) : nameof(ToDouble);
        var node = new TensorNode<TTo>(op, [], y, static _ => [], file, line)
        {
            // ∂L/∂x = g in x's type; recorded (a cast back) when the sweep builds a graph, plain otherwise.
            ForeignInput = (g, sink) =>
            {
                Tensor<T> gx = g.Cast<T>(back, file, line);
                if (x.Node is TensorNode<T> producer)
                {
                    producer.Accumulate(gx, sink.CreateGraph);
                }
                else if (sink.Wants(x))
                {
                    sink.Accumulate(x, gx, sink.CreateGraph);
                }
            },
        };
        tape.Record(node);
        return y;
    }
}
