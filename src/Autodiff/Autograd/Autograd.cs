namespace Autodiff;

/// <summary>
/// Switches for recording, and the functional face of differentiation: gradients, Jacobians and
/// vector–Jacobian products of functions of tensors (like <c>torch.func</c>).
/// </summary>
public static partial class Autograd
{
    private static readonly AsyncLocal<bool> s_noGrad = new();

    // A plain sweep's own "no grad": thread-static rather than the AsyncLocal above, because setting an AsyncLocal
    // allocates (a new execution context, its value map and a boxed bool) on every sweep of a training loop. Rules
    // run on the sweeping thread; the kernels that use other threads record nothing.
    [ThreadStatic]
    private static bool s_paused;

    /// <summary>Whether operations on tracked tensors are recorded (a tape must also be current).</summary>
    public static bool IsGradEnabled => !s_noGrad.Value && !s_paused;

    /// <summary>Whether an operation called now would be recorded on a tape.</summary>
    internal static bool IsRecording => !s_paused && !s_noGrad.Value && s_probe is null && Tape.Current is not null;

    /// <summary>Stops recording on this thread until the scope is disposed: for the rules of a plain sweep.</summary>
    internal static PauseScope PauseRecording()
    {
        bool previous = s_paused;
        s_paused = true;
        return new PauseScope(previous, active: true);
    }

    /// <summary>Restores the thread's recording state when disposed; <c>default</c> changes nothing.</summary>
    internal readonly struct PauseScope(bool previous, bool active) : IDisposable
    {
        public void Dispose()
        {
            if (active)
            {
                s_paused = previous;
            }
        }
    }

    /// <summary>
    /// Stops recording until the returned scope is disposed (like <c>torch.no_grad()</c>):
    /// <c>using (Autograd.NoGrad()) { … }</c>. Scopes nest and flow across <c>await</c>.
    /// </summary>
    public static GradModeScope NoGrad()
    {
        bool previous = s_noGrad.Value;
        s_noGrad.Value = true;
        return new GradModeScope(previous, active: true);
    }

    /// <summary>Restores the previous gradient mode when disposed.</summary>
    public readonly struct GradModeScope : IDisposable
    {
        private readonly bool _previous;
        private readonly bool _active;

        internal GradModeScope(bool previous, bool active)
        {
            _previous = previous;
            _active = active;
        }

        /// <summary>Restores the gradient mode that was in force when the scope began.</summary>
        public void Dispose()
        {
            if (_active)
            {
                s_noGrad.Value = _previous;
            }
        }
    }
}
