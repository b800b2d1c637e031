using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Autodiff;

/// <summary>
/// Where a recorded op came from beyond its own source line: the innermost named scope it was recorded in (a layer of
/// Autodiff.NN, say "Linear (Sequential[2], 128→10)") and the nearest call site that opened a scope with a line
/// (the user's <c>model.Call(x)</c>). Shown by shape errors, anomaly reports and <c>tape.ToString()</c>.
/// </summary>
internal readonly record struct Provenance(string? Scope, string? File, int Line)
{
    // The thread's stack of open scopes: a LIFO of value triples in arrays that grow by doubling, so that opening and
    // closing a scope (every layer call of a training step) allocates nothing once warm.
    [ThreadStatic]
    private static string?[]? s_names;

    [ThreadStatic]
    private static string?[]? s_files;

    [ThreadStatic]
    private static int[]? s_lines;

    [ThreadStatic]
    private static int s_depth;

    /// <summary>The provenance of an op recorded now on this thread; default outside every scope.</summary>
    public static Provenance Current
    {
        get
        {
            int depth = s_depth;
            if (depth == 0)
            {
                return default;
            }

            for (int i = depth - 1; i >= 0; i--)
            {
                if (s_files![i] is { } file)
                {
                    return new(s_names![depth - 1], file, s_lines![i]);
                }
            }

            return new(s_names![depth - 1], null, 0);
        }
    }

    /// <summary>
    /// For an error being thrown now: the current provenance, its call site found on the stack when no scope gave
    /// one (the first frame outside the Autodiff libraries: the user's line).
    /// </summary>
    public static Provenance ForError()
    {
        Provenance p = Current;
        return p.Scope is null || p.File is not null ? p : p with { File = UserFrame(out int line), Line = line };
    }

    /// <summary>" in Linear (Sequential[2], 128→10) called at Model.cs:42", or "" outside every scope.</summary>
    public override string ToString()
        => Scope is null ? "" : File is null ? $" in {Scope}" : $" in {Scope} called at {Path.GetFileName(File)}:{Line}";

    internal static int Push(string name, string? file, int line)
    {
        int depth = s_depth;
        if (s_names is null || depth == s_names.Length)
        {
            int capacity = Math.Max(8, depth * 2);
            Array.Resize(ref s_names, capacity);
            Array.Resize(ref s_files, capacity);
            Array.Resize(ref s_lines, capacity);
        }

        s_names[depth] = name;
        s_files![depth] = file;
        s_lines![depth] = line;
        s_depth = depth + 1;
        return depth;
    }

    /// <summary>Closes the scope opened at <paramref name="depth"/> (and any left open inside it by an exception).</summary>
    internal static void Pop(int depth)
    {
        if (depth < s_depth)
        {
            for (int i = depth; i < s_depth; i++)
            {
                s_names![i] = null;
                s_files![i] = null;
            }

            s_depth = depth;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string? UserFrame(out int line)
    {
        line = 0;
        foreach (StackFrame frame in new StackTrace(2, fNeedFileInfo: true).GetFrames())
        {
            // DiagnosticMethodInfo rather than GetMethod(): it needs no reflection metadata, so trimming and Native AOT keep it.
            string? display = DiagnosticMethodInfo.Create(frame)?.DeclaringAssemblyName;
            string? assembly = string.IsNullOrEmpty(display) ? null : new AssemblyName(display).Name;
            if (assembly is null || assembly is "Autodiff" or "Autodiff.NN" or "System.Private.CoreLib" || assembly.StartsWith("System.", StringComparison.Ordinal))
            {
                continue;
            }

            if (frame.GetFileName() is { } file)
            {
                line = frame.GetFileLineNumber();
                return file;
            }

            return null;
        }

        return null;
    }
}

public static partial class Autograd
{
    /// <summary>
    /// Names the tensor ops recorded until the scope is disposed (like <c>jax.named_scope</c> or
    /// <c>torch.profiler.record_function</c>): shape errors, anomaly reports and <see cref="Tape.ToString"/> then say
    /// "in <paramref name="name"/> called at File.cs:line". Autodiff.NN opens one per layer call, named by the layer's
    /// path in its model; scopes nest, and the innermost names the op.
    /// </summary>
    /// <remarks>
    /// A scope belongs to the thread that opened it (open and dispose it in the same synchronous block, as
    /// <c>using</c> does): it costs no allocation, which an async-flowing scope would.
    /// </remarks>
    /// <param name="name">What the ops belong to, e.g. "Linear (Sequential[2], 128→10)".</param>
    /// <param name="file">Filled in by the compiler; pass null for a scope opened by library code on the user's behalf.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static NameScope Scope(string name, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new NameScope(Provenance.Push(name, file, line));
    }

    /// <summary>
    /// The innermost named scope open on this thread and the call site that opened it, as messages write it
    /// (" in Linear (Sequential[2], 128→10) called at Model.cs:42"), or "" outside every scope: for libraries that
    /// check their own inputs, so that their errors name the layer and the user's line as the engine's do.
    /// </summary>
    public static string CurrentScope => Provenance.ForError().ToString();

    /// <summary>Closes a <see cref="Scope"/> when disposed.</summary>
    public readonly struct NameScope : IDisposable
    {
        private readonly int _depth;

        internal NameScope(int depth) => _depth = depth + 1;

        /// <summary>Closes the scope (and any opened inside it and left open).</summary>
        public void Dispose()
        {
            if (_depth > 0)
            {
                Provenance.Pop(_depth - 1);
            }
        }
    }
}
