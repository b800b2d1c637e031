using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Gradient checkpointing (torch.utils.checkpoint): a segment of the forward pass runs without keeping what it computes
// inside, and is recorded as one node whose rule runs the segment again, this time recording, and sweeps that short
// stretch of tape to get the gradients. Memory falls from every activation of the segment to its inputs and outputs;
// time rises by one more forward pass of the segment.
//
// The first run is a probe: recording is off (nothing is lent by the tape, so the segment's intermediates are garbage as
// soon as it returns), but every tensor that requires grad and is read by an op of the segment is noted, so that the
// node is recorded even when only a captured parameter requires grad, and so that a recorded tensor read through a
// closure rather than passed as an input is refused rather than silently cut off from its gradient.
//
// In a plain sweep the re-run records on the swept tape from detached copies of the inputs; its temporaries go back
// to the tape as soon as that stretch has been swept, so at most one segment's activations exist at a time. With
// createGraph the re-run records on the real inputs and its nodes stay: the gradient is then a recorded function of
// them, and second derivatives through a checkpoint are those of the plain computation.
public static partial class Autograd
{
    [ThreadStatic]
    private static CheckpointProbe? s_probe;

    /// <summary>Whether a checkpoint's first run is under way on this thread: ops record nothing and only note their tracked inputs.</summary>
    internal static bool IsProbing => s_probe is not null;

    /// <summary>
    /// Runs <paramref name="f"/> on <paramref name="input"/> without keeping its intermediate results, and records it as
    /// one operation whose backward rule runs f again, recording, to compute the gradients (as
    /// <c>torch.utils.checkpoint.checkpoint</c>): memory for one more forward pass of f.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Gradients reach <paramref name="input"/> and every parameter f reads (a layer's weights, captured by the
    /// lambda); a tensor that was computed by recorded operations must be passed as an input, not captured, and
    /// reading one through a closure throws. f must compute the same thing when run again: the same shapes, and the
    /// same values from the same inputs.
    /// </para>
    /// <para>
    /// Randomness: every seed drawn while f runs the first time (by a <see cref="SeedStream"/>, such as a dropout
    /// layer's, or by <see cref="Generator.NextSeed"/>) is recorded, and the re-run gets the same seeds in the same
    /// order without drawing, so it sees the same dropout masks and every generator ends where it would have without
    /// the checkpoint. Other state f changes is changed twice (a batch norm's running statistics in training mode
    /// are updated by both runs, as in PyTorch).
    /// </para>
    /// <para>
    /// Checkpoints nest, and compose with <c>createGraph</c>: the gradient a recorded sweep returns can be
    /// differentiated again. Without a tape, with gradients disabled, or when nothing f reads requires grad, f simply
    /// runs.
    /// </para>
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The segment: a function of its input and of parameters it captures.</param>
    /// <param name="input">The segment's input.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Checkpoint<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> input, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(input);
        return CheckpointCore(xs => [f(xs[0])], [input], file, line)[0];
    }

    /// <summary>
    /// <see cref="Checkpoint{T}(Func{Tensor{T}, Tensor{T}}, Tensor{T}, string?, int)"/> for a segment with several
    /// inputs and outputs: f runs once more in the backward pass, whatever the number of outputs.
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The segment: a function of its inputs (in order) and of parameters it captures.</param>
    /// <param name="inputs">The segment's inputs.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T>[] Checkpoint<T>(Func<Tensor<T>[], Tensor<T>[]> f, Tensor<T>[] inputs, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null)
            {
                throw new ArgumentNullException(nameof(inputs), $"Checkpoint: inputs[{i}] is null{Shapes.Where(file, line)}.");
            }
        }

        return CheckpointCore(f, (Tensor<T>[])inputs.Clone(), file, line);
    }

    private static Tensor<T>[] CheckpointCore<T>(Func<Tensor<T>[], Tensor<T>[]> f, Tensor<T>[] inputs, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsRecording || Tape.Current is not { } tape)
        {
            // Nothing would be kept anyway (no tape, no grad, a sweep's rule, or an enclosing checkpoint's first run,
            // which notes what f reads through the ops themselves).
            return RunSegment(f, inputs, null, file, line);
        }

        var seeds = new SeedLog(file, line);
        var probe = new CheckpointProbe(inputs);
        Tensor<T>[] outputs;
        CheckpointProbe? previous = s_probe;
        s_probe = probe;
        try
        {
            using SeedLog.Scope logging = seeds.Record();
            outputs = RunSegment(f, inputs, null, file, line);
        }
        finally
        {
            s_probe = previous;
        }

        if (!probe.SawTracked)
        {
            return outputs; // f read nothing that requires grad: there is nothing to differentiate
        }

        probe.ThrowIfCapturedResult(file, line);
        int[][] shapes = [.. outputs.Select(y => y.ShapeArray())];
        Tensor<T> flat = Flatten(outputs, shapes);
        Tensor<T>[] nodeInputs = [.. inputs, .. probe.CapturedLeaves<T>()];
        var segment = new Segment<T>(f, inputs, shapes, seeds, tape, file, line);
        foreach (Tensor<T> x in nodeInputs)
        {
            if (x.GradRequired)
            {
                tape.ValidateInput(x, nameof(Checkpoint), file, line);
            }
        }

        tape.Record(new TensorNode<T>(nameof(Checkpoint), nodeInputs, flat, static _ => [], file, line) { SinkRule = segment.Backward });
        return outputs.Length == 1 ? [flat] : Unflatten(flat, shapes, file, line);
    }

    /// <summary>Runs f and checks what it returned: outputs there, and the same shapes as before when they are known.</summary>
    private static Tensor<T>[] RunSegment<T>(Func<Tensor<T>[], Tensor<T>[]> f, Tensor<T>[] inputs, int[][]? shapes, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T>[] outputs = f(inputs) ?? throw new InvalidOperationException($"Checkpoint: the function returned null{Shapes.Where(file, line)}.");
        if (outputs.Length == 0 || outputs.Any(y => y is null))
        {
            throw new InvalidOperationException($"Checkpoint: the function must return at least one tensor and no null{Shapes.Where(file, line)}.");
        }

        if (shapes is not null && (outputs.Length != shapes.Length || outputs.Where((y, i) => !y.Shape.SequenceEqual(shapes[i])).Any()))
        {
            throw new InvalidOperationException(
                $"Checkpoint: run again for the backward pass, the function returned {string.Join(", ", outputs.Select(y => Shapes.Format(y.Shape)))} " +
                $"where its first run returned {string.Join(", ", shapes.Select(s => Shapes.Format(s)))}{Shapes.Where(file, line)}; a checkpointed function must compute the same thing every time it runs.");
        }

        return outputs;
    }

    /// <summary>
    /// The outputs' elements one after another in a new untracked tensor, the node's single result: the one output's
    /// shape, or a vector of all of them.
    /// </summary>
    private static Tensor<T> Flatten<T>(Tensor<T>[] outputs, int[][] shapes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = shapes.Sum(s => Shapes.Size(s));
        var flat = new Tensor<T>(Tensor.Uninitialized<T>(size), outputs.Length == 1 ? shapes[0] : [size]);
        int offset = 0;
        foreach (Tensor<T> y in outputs)
        {
            y.Data.CopyTo(flat.Data, offset);
            offset += y.Size;
        }

        return flat;
    }

    /// <summary>The outputs as recorded views of the node's result, so that their gradients meet in one sweep of f.</summary>
    private static Tensor<T>[] Unflatten<T>(Tensor<T> flat, int[][] shapes, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var outputs = new Tensor<T>[shapes.Length];
        int offset = 0;
        for (int i = 0; i < shapes.Length; i++)
        {
            int size = Shapes.Size(shapes[i]);
            outputs[i] = flat.Narrow(0, offset, size, file, line).Reshape(shapes[i], file, line);
            offset += size;
        }

        return outputs;
    }

    /// <summary>The re-run's outputs as one recorded vector, matching the node's flat result.</summary>
    private static Tensor<T> Joined<T>(Tensor<T>[] outputs, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
        => outputs.Length == 1
            ? outputs[0]
            : Tensor.Concat([.. outputs.Select(y => y.Reshape([y.Size], file, line))], 0, file, line);

    /// <summary>What a checkpoint's backward rule needs: the function, its inputs, its first run's shapes and seeds.</summary>
    private sealed class Segment<T>(Func<Tensor<T>[], Tensor<T>[]> f, Tensor<T>[] inputs, int[][] shapes, SeedLog seeds, Tape tape, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Tensor<T>?[] Backward(Tensor<T> grad, IGradientSink sink)
        {
            // The node's inputs are the segment's inputs followed by the parameters f captured; the latter get their
            // gradients from the re-run's sweep directly, through the sink.
            var grads = new Tensor<T>?[inputs.Length];
            if (sink.CreateGraph)
            {
                // Recording already (a recorded sweep): the re-run's nodes stay on the tape, so the gradient it hands
                // to the inputs' producers is a differentiable function of the inputs.
                int start = tape.TensorCount;
                Tensor<T> y = Joined(ReRun(inputs), file, line);
                tape.SweepRange(start, y, grad, sink);
                return grads;
            }

            using PauseScope recording = ResumeRecording();
            int from = tape.TensorCount;
            (int, int) mark = tape.MarkBuffers();
            try
            {
                Tensor<T>[] leaves = [.. inputs.Select(x => x.GradRequired ? x.Detach().RequiresGrad() : x)];
                Tensor<T> y = Joined(ReRun(leaves), file, line);
                var collect = new CheckpointSink<T>(leaves, sink);
                tape.SweepRange(from, y, grad, collect);
                for (int i = 0; i < inputs.Length; i++)
                {
                    grads[i] = inputs[i].GradRequired ? collect.Owned(i) : null;
                }
            }
            finally
            {
                // The re-run's nodes and every array lent since it began are garbage now; the gradients were copied out.
                tape.TruncateTensorNodes(from);
                tape.RecycleSince(mark);
            }

            return grads;
        }

        private Tensor<T>[] ReRun(Tensor<T>[] xs)
        {
            using SeedLog.Scope replaying = seeds.Replay();
            return RunSegment(f, xs, shapes, file, line);
        }
    }

    /// <summary>Recording on again for a checkpoint's re-run inside a plain sweep (whose rules otherwise record nothing).</summary>
    internal static PauseScope ResumeRecording()
    {
        bool previous = s_paused;
        s_paused = false;
        return new PauseScope(previous, active: true);
    }

    /// <summary>
    /// Called by an op while a checkpoint's first run probes: notes the inputs that require grad. Returns whether a
    /// probe is running (then the op records nothing).
    /// </summary>
    internal static bool Probed<T>(ReadOnlySpan<Tensor<T>> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (s_probe is not { } probe)
        {
            return false;
        }

        if (!s_paused && !s_noGrad.Value)
        {
            foreach (Tensor<T> x in inputs)
            {
                probe.Observe(x);
            }
        }

        return true;
    }
}
