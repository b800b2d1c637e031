namespace Autodiff;

public sealed partial class Tape
{
    /// <summary>
    /// The computation recorded so far, from <paramref name="inputs"/> to <paramref name="outputs"/>, as a function
    /// that can be evaluated and differentiated at new inputs by replaying the entries, without recording again
    /// (CppAD's <c>ADFun</c>).
    /// </summary>
    /// <remarks>
    /// The function is a snapshot: the tape can be reset or disposed afterwards. Every entry between the first slot
    /// and the last output is replayed; variables that are not among <paramref name="inputs"/> and constants keep the
    /// values they were recorded with. Control flow is frozen at recording: a branch your code took on a
    /// <see cref="Scalar.Value"/> is taken again whatever the new inputs (Scalars have no comparison operators, so
    /// nothing on the tape records the outcome of one); the ops' own kinks (ReLU, |x|, Max, Min) follow the new values.
    /// </remarks>
    /// <param name="inputs">The independent variables, in the order the function takes them: variables of this tape.</param>
    /// <param name="outputs">The dependent values, in the order the function returns them: scalars of this tape.</param>
    public RecordedFunction ToFunction(ReadOnlySpan<Scalar> inputs, ReadOnlySpan<Scalar> outputs)
    {
        ThrowIfDisposed();
        if (outputs.IsEmpty)
        {
            throw new ArgumentException("ToFunction: give at least one output.", nameof(outputs));
        }

        if (_mixed)
        {
            throw new InvalidOperationException("ToFunction: this tape also holds tensor operations, whose part of the computation a replay of the scalar entries cannot redo; record the scalar function on a tape of its own.");
        }

        int[] inputSlots = new int[inputs.Length], outputSlots = new int[outputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            Validate(inputs[i], nameof(ToFunction));
            if (OpAt(inputs[i].Index) != ScalarOp.Variable)
            {
                throw new ArgumentException($"ToFunction: inputs[{i}] (#{inputs[i].Index}) is the result of a {OpAt(inputs[i].Index)}, not a variable; the inputs must be Tape.Variable values.", nameof(inputs));
            }

            if (Array.IndexOf(inputSlots, inputs[i].Index, 0, i) >= 0)
            {
                throw new ArgumentException($"ToFunction: inputs[{i}] (#{inputs[i].Index}) is given twice.", nameof(inputs));
            }

            inputSlots[i] = inputs[i].Index;
        }

        int last = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            Validate(outputs[i], nameof(ToFunction));
            outputSlots[i] = outputs[i].Index;
            last = Math.Max(last, outputs[i].Index);
        }

        byte[] ops = _ops.AsSpan(0, last + 1).ToArray();
        Entry[] entries = _entries.AsSpan(0, last + 1).ToArray();
        double[] values = _values.AsSpan(0, last + 1).ToArray();
        return new RecordedFunction(ops, entries, values, inputSlots, outputSlots);
    }

    /// <summary>Whether an entry's operation is a leaf (a variable or a constant), from its stored op byte.</summary>
    internal static bool IsLeafOp(byte op) => (ScalarOp)(op & ~(HasLocation | ConstantFirst)) is ScalarOp.Variable or ScalarOp.Constant;

    /// <summary>The operation of a stored op byte, and whether its constant came first.</summary>
    internal static (ScalarOp Op, bool ConstantFirst) Decode(byte op) => ((ScalarOp)(op & ~(HasLocation | ConstantFirst)), (op & ConstantFirst) != 0);
}
