using System.Runtime.CompilerServices;
using System.Text;

namespace Autodiff.NN;

/// <summary>
/// A part of a network that owns parameters and child modules (like <c>torch.nn.Module</c>): parameters are found
/// by walking the module tree, named by their path ("0.weight", "fc1.bias"), and can be saved and restored as a
/// state dict.
/// </summary>
/// <remarks>
/// <para>
/// A subclass lists what it owns explicitly, by overriding <see cref="OwnParameters"/> and <see cref="ChildModules"/>:
/// no reflection, so nothing is found by accident and trimming cannot lose anything.
/// </para>
/// <para>
/// Modules hold float32 parameters. A module (or parameter) reachable along two paths is visited once, under the
/// first name, so an optimiser never updates a shared parameter twice.
/// </para>
/// </remarks>
public abstract class Module
{
    /// <summary>Whether the module is in training mode (the default) rather than evaluation mode; see <see cref="Train"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The parameters this module itself owns (not those of its children), with their local names.</summary>
    /// <remarks>Names must be non-empty, contain no '.', and be unique within the module.</remarks>
    protected virtual IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters() => [];

    /// <summary>
    /// The buffers this module itself owns (not those of its children): state that is saved and loaded with the
    /// parameters but not trained by gradients, such as batch normalisation's running statistics.
    /// </summary>
    /// <remarks>Names follow the rules of <see cref="OwnParameters"/> and must differ from the parameters' names.</remarks>
    protected virtual IEnumerable<(string Name, Tensor<float> Buffer)> OwnBuffers() => [];

    /// <summary>
    /// Whether the buffer of this local name is a counter that PyTorch keeps as int64 (BatchNorm's
    /// <c>num_batches_tracked</c>): <see cref="Save"/> stores it as I64, and a state dict without it loads strictly
    /// and leaves the count as it is, as PyTorch's <c>load_state_dict</c> does for state dicts older than the counter.
    /// </summary>
    private protected virtual bool IsCounter(string buffer) => false;

    /// <summary>The direct child modules, with their local names, in order.</summary>
    /// <remarks>Names must be non-empty, contain no '.', and be unique within the module.</remarks>
    protected virtual IEnumerable<(string Name, Module Module)> ChildModules() => [];

    /// <summary>The direct child modules with their local names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => ChildModules();

    /// <summary>
    /// This module (named "") and every module below it, depth first, each with its dotted path.
    /// </summary>
    public IReadOnlyList<(string Name, Module Module)> NamedModules()
    {
        var result = new List<(string, Module)>();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(string Name, Module Module)>();
        pending.Push(("", this));
        while (pending.Count > 0)
        {
            (string name, Module module) = pending.Pop();
            if (!seen.Add(module))
            {
                continue;
            }

            result.Add((name, module));
            var children = new List<(string, Module)>();
            foreach ((string childName, Module child) in module.ChildModules())
            {
                if (child is null)
                {
                    throw new InvalidOperationException($"{module.GetType().Name}: child module '{childName}' is null.");
                }

                children.Add((Join(name, CheckName(childName, module, "child module")), child));
            }

            // Pushed in reverse so that they pop in order: the walk is the pre-order a recursion would give.
            for (int i = children.Count - 1; i >= 0; i--)
            {
                pending.Push(children[i]);
            }
        }

        return result;
    }

    /// <summary>Every parameter of this module and its descendants, with its dotted path, in a stable order.</summary>
    /// <exception cref="InvalidOperationException">Two parameters end up with the same name, or a name is malformed.</exception>
    public IReadOnlyList<(string Name, Tensor<float> Parameter)> NamedParameters()
    {
        var result = new List<(string, Tensor<float>)>();
        var seen = new HashSet<Tensor<float>>(ReferenceEqualityComparer.Instance);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string prefix, Module module) in NamedModules())
        {
            foreach ((string local, Tensor<float> parameter) in module.OwnParameters())
            {
                if (parameter is null)
                {
                    throw new InvalidOperationException($"{module.GetType().Name}: parameter '{local}' is null.");
                }

                string name = Join(prefix, CheckName(local, module, "parameter"));
                if (!names.Add(name))
                {
                    throw new InvalidOperationException($"{module.GetType().Name}: two parameters are named '{name}'.");
                }

                if (seen.Add(parameter))
                {
                    result.Add((name, parameter));
                }
            }
        }

        return result;
    }

    /// <summary>Every buffer of this module and its descendants (e.g. "1.running_mean"), with its dotted path, in a stable order.</summary>
    public IReadOnlyList<(string Name, Tensor<float> Buffer)> NamedBuffers()
    {
        var result = new List<(string, Tensor<float>)>();
        foreach ((string prefix, Module module) in NamedModules())
        {
            foreach ((string local, Tensor<float> buffer) in module.OwnBuffers())
            {
                if (buffer is null)
                {
                    throw new InvalidOperationException($"{module.GetType().Name}: buffer '{local}' is null.");
                }

                result.Add((Join(prefix, CheckName(local, module, "buffer")), buffer));
            }
        }

        return result;
    }

    /// <summary>Every parameter of this module and its descendants, in the order of <see cref="NamedParameters"/>.</summary>
    public IReadOnlyList<Tensor<float>> Parameters() => NamedParameters().Select(p => p.Parameter).ToArray();

    /// <summary>Zeroes the gradient of every parameter (keeping the buffers).</summary>
    public void ZeroGrad()
    {
        foreach ((_, Tensor<float> parameter) in NamedParameters())
        {
            parameter.ZeroGrad();
        }
    }

    /// <summary>
    /// Puts this module and all its descendants in training mode (or evaluation mode when <paramref name="training"/>
    /// is false); layers such as <see cref="Dropout"/> behave differently in the two.
    /// </summary>
    /// <param name="training">True for training mode.</param>
    public void Train(bool training = true)
    {
        foreach ((_, Module module) in NamedModules())
        {
            module.IsTraining = training;
        }
    }

    /// <summary>Puts this module and all its descendants in evaluation mode; the same as <c>Train(false)</c>.</summary>
    public void Eval() => Train(false);

    /// <summary>
    /// A snapshot of every parameter and buffer by name, in PyTorch's <c>state_dict</c> order (module by module, each
    /// module's parameters then its buffers): the tensors are copies, so later training does not change a saved state dict.
    /// </summary>
    public OrderedDictionary<string, Tensor<float>> StateDict()
    {
        var state = new OrderedDictionary<string, Tensor<float>>(StringComparer.Ordinal);
        foreach ((string name, Tensor<float> tensor) in StateTensors())
        {
            state.Add(name, tensor.Clone());
        }

        return state;
    }

    /// <summary>
    /// The parameters and buffers by name, in PyTorch's <c>state_dict</c> order: module by module (pre-order), each
    /// module's own parameters, then its own buffers.
    /// </summary>
    private List<(string Name, Tensor<float> Tensor)> StateTensors()
    {
        var parameters = NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        var buffers = NamedBuffers();
        var names = new HashSet<string>(parameters.Keys, StringComparer.Ordinal);
        foreach ((string name, _) in buffers)
        {
            if (!names.Add(name))
            {
                throw new InvalidOperationException($"{GetType().Name}: a parameter and a buffer are both named '{name}'.");
            }
        }

        var byName = buffers.ToDictionary(b => b.Name, b => b.Buffer, StringComparer.Ordinal);
        var tensors = new List<(string Name, Tensor<float> Tensor)>(names.Count);
        foreach ((string prefix, Module module) in NamedModules())
        {
            // A parameter shared with an earlier module is listed once, under its first name (as NamedParameters has it).
            foreach ((string local, _) in module.OwnParameters())
            {
                string name = Join(prefix, local);
                if (parameters.TryGetValue(name, out Tensor<float>? parameter))
                {
                    tensors.Add((name, parameter));
                }
            }

            foreach ((string local, _) in module.OwnBuffers())
            {
                string name = Join(prefix, local);
                tensors.Add((name, byName[name]));
            }
        }

        return tensors;
    }

    /// <summary>
    /// Writes <see cref="StateDict"/> to a safetensors file in one call (PyTorch's
    /// <c>save_file(model.state_dict(), path)</c>); the file is written whole or not at all.
    /// </summary>
    /// <param name="path">The .safetensors file.</param>
    /// <remarks>Counters that PyTorch keeps as int64 (BatchNorm's <c>num_batches_tracked</c>) are stored as I64, the rest as F32, so that PyTorch's twin loads the file strictly.</remarks>
    public void Save(string path)
    {
        var dtypes = Counters().ToDictionary(name => name, _ => Serialization.SafeTensorsDtype.I64, StringComparer.Ordinal);
        Serialization.SafeTensors.Save(path, StateDict(), metadata: null, dtypes);
    }

    /// <summary>The full names of the counter buffers (see <see cref="IsCounter"/>).</summary>
    private IEnumerable<string> Counters()
    {
        foreach ((string prefix, Module module) in NamedModules())
        {
            foreach ((string local, _) in module.OwnBuffers())
            {
                if (module.IsCounter(local))
                {
                    yield return Join(prefix, local);
                }
            }
        }
    }

    /// <summary>
    /// Loads a safetensors file (from <see cref="Save"/>, or a PyTorch state dict saved as safetensors) into this
    /// module, in one call: <see cref="LoadStateDict"/> of the file's tensors, with its all-or-nothing promise.
    /// </summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="strict">Require the keys to match the model's exactly.</param>
    /// <returns>The keys that were missing and unexpected; prints as PyTorch's result does.</returns>
    public LoadStateDictResult Load(string path, bool strict = true) => LoadStateDict(Serialization.SafeTensors.Load(path), strict);

    /// <summary>
    /// Copies the values of <paramref name="stateDict"/> into the parameters and buffers of the same names, in place
    /// (so optimisers holding the parameters keep working).
    /// </summary>
    /// <remarks>
    /// Nothing is copied unless the whole dict is accepted. A tensor whose shape differs from its parameter's is
    /// always an error; keys missing from the dict, or in it but not in the model, are errors only when
    /// <paramref name="strict"/> (as PyTorch's <c>load_state_dict</c>).
    /// </remarks>
    /// <param name="stateDict">Parameter values by name, as made by <see cref="StateDict"/>.</param>
    /// <param name="strict">Require the keys to match the model's exactly.</param>
    /// <returns>The keys that were missing and unexpected (both empty after a strict load).</returns>
    /// <exception cref="ArgumentException">Names every missing, unexpected and mis-shaped key, with the shapes.</exception>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor<float>> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        List<(string Name, Tensor<float> Parameter)> parameters = StateTensors();
        var known = new HashSet<string>(parameters.Select(p => p.Name), StringComparer.Ordinal);
        var counters = new HashSet<string>(Counters(), StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach ((string name, Tensor<float> parameter) in parameters)
        {
            if (!stateDict.TryGetValue(name, out Tensor<float>? value))
            {
                if (!counters.Contains(name))
                {
                    missing.Add(name);
                }
            }
            else if (value is null || !value.Shape.SequenceEqual(parameter.Shape))
            {
                string shape = value is null ? "null" : Functional.Format(value.Shape);
                mismatched.Add($"{name}: model {Functional.Format(parameter.Shape)}, state dict {shape}");
            }
            else
            {
                // Read before anything is copied: a tensor recycled by a tape's Reset() throws here, not halfway through.
                try
                {
                    _ = value.Span;
                }
                catch (InvalidOperationException e)
                {
                    throw new ArgumentException($"LoadStateDict: the value of '{name}' cannot be read ({e.Message}); nothing was copied.", nameof(stateDict), e);
                }
            }
        }

        var unexpected = stateDict.Keys.Where(k => !known.Contains(k)).ToList();
        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var message = new StringBuilder($"LoadStateDict: the state dict does not fit {GetType().Name}:");
            if (strict && missing.Count > 0)
            {
                var shapes = parameters.Where(p => missing.Contains(p.Name)).Select(p => $"{p.Name} {Functional.Format(p.Parameter.Shape)}");
                message.Append("\n  missing keys: ").AppendJoin(", ", shapes);
            }

            if (strict && unexpected.Count > 0)
            {
                message.Append("\n  unexpected keys: ").AppendJoin(", ", unexpected.Select(k => $"{k} {(stateDict[k] is { } t ? Functional.Format(t.Shape) : "null")}"));
            }

            if (mismatched.Count > 0)
            {
                message.Append("\n  shape mismatch: ").AppendJoin("; ", mismatched);
            }

            message.Append("\n  Load weights saved from the same architecture (names come from NamedParameters()), ")
                .Append(strict ? "or pass strict: false to load only the keys both have." : "or fix the shapes above.");
            throw new ArgumentException(message.ToString(), nameof(stateDict));
        }

        foreach ((string name, Tensor<float> parameter) in parameters)
        {
            if (stateDict.TryGetValue(name, out Tensor<float>? value))
            {
                value!.Span.CopyTo(parameter.MutableSpan());
            }
        }

        return new LoadStateDictResult(missing, unexpected);
    }

    /// <summary>A short description of the layer for provenance ("128→10"), or null; shown after its path.</summary>
    internal virtual string? Summary => null;

    // ---- provenance ------------------------------------------------------------------------------------------
    // Every module call opens a named scope of the engine (Autograd.Scope), so that an op recorded inside says which
    // layer it belongs to and where that layer was called: "Linear (Sequential[2], 128→10) called at Model.cs:42".
    // The path is built from the module that is running on this thread (its parent) and the child's name in it; the
    // strings are made once per (module, parent path) and reused, so a training step allocates none.

    [ThreadStatic]
    private static Module? s_running;

    [ThreadStatic]
    private static string? s_runningPath;

    private string? _parentPath;
    private Module? _parent;
    private string? _path;
    private string? _scopeName;

    /// <summary>Opens this module's scope for a call from <paramref name="file"/>:<paramref name="line"/> (null for a call made by a container).</summary>
    internal CallScope EnterCall(string? file, int line)
    {
        Module? parent = s_running;
        string? parentPath = s_runningPath;
        if (_scopeName is null || !ReferenceEquals(parent, _parent) || !ReferenceEquals(parentPath, _parentPath))
        {
            _parent = parent;
            _parentPath = parentPath;
            _path = parent is null ? GetType().Name : $"{parentPath}[{parent.ChildName(this)}]";
            string? summary = Summary;
            string inner = parent is null ? summary ?? "" : summary is null ? _path : $"{_path}, {summary}";
            _scopeName = inner.Length == 0 ? GetType().Name : $"{GetType().Name} ({inner})";
        }

        var scope = new CallScope(Autograd.Scope(_scopeName, file, line), parent, parentPath, active: true);
        s_running = this;
        s_runningPath = _path;
        return scope;
    }

    /// <summary>The module running on this thread now and its path, to run again in the same place later (a checkpoint's re-run).</summary>
    internal static (Module? Module, string? Path) Running => (s_running, s_runningPath);

    /// <summary>
    /// Makes <paramref name="running"/> the running module again until the scope is disposed: a checkpoint's re-run,
    /// in the backward pass, then names its children's scopes as the forward pass did.
    /// </summary>
    internal static CallScope Resume((Module? Module, string? Path) running)
    {
        var scope = new CallScope(default, s_running, s_runningPath, active: true);
        (s_running, s_runningPath) = running;
        return scope;
    }

    /// <summary>Whether this module's scope is the innermost one running on this thread.</summary>
    internal bool IsRunning => ReferenceEquals(s_running, this);

    /// <summary>The local name of <paramref name="child"/> among this module's children ("?" if it is not one).</summary>
    private string ChildName(Module child)
    {
        foreach ((string name, Module module) in ChildModules())
        {
            if (ReferenceEquals(module, child))
            {
                return name;
            }
        }

        return "?";
    }

    /// <summary>Restores the running module and closes the engine scope when disposed; <c>default</c> does nothing.</summary>
    internal readonly struct CallScope(Autograd.NameScope scope, Module? parent, string? parentPath, bool active) : IDisposable
    {
        public void Dispose()
        {
            if (active)
            {
                s_running = parent;
                s_runningPath = parentPath;
                scope.Dispose();
            }
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static string CheckName(string name, Module owner, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{owner.GetType().Name}: a {what} name must be non-empty and contain no '.', got '{name}'.");
        }

        return name;
    }
}

/// <summary>A module with a typed forward pass (like TorchSharp's <c>Module&lt;T, TResult&gt;</c>).</summary>
/// <typeparam name="TIn">The input, usually <c>Tensor&lt;float&gt;</c>.</typeparam>
/// <typeparam name="TOut">The output, usually <c>Tensor&lt;float&gt;</c>.</typeparam>
public abstract class Module<TIn, TOut> : Module
{
    /// <summary>Computes the module's output; recorded on the current tape when parameters or input require grad.</summary>
    /// <remarks>Override this; call <see cref="Call"/> (as PyTorch's <c>module(x)</c> calls <c>forward</c>).</remarks>
    /// <param name="input">The input.</param>
    public abstract TOut Forward(TIn input);

    /// <summary>
    /// Runs <see cref="Forward"/> inside a named scope, so that every op it records names this layer and your line:
    /// a shape error, an anomaly report or <c>tape.ToString()</c> says "in Linear (Sequential[2], 128→10) called at
    /// Model.cs:42". Calling <see cref="Forward"/> directly computes the same; errors then find your line on the stack.
    /// </summary>
    /// <param name="input">The input.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public TOut Call(TIn input, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        using CallScope scope = EnterCall(file, line);
        return Forward(input);
    }

    /// <summary>The call a container makes for a child: scoped, with no call site of its own (the user's is outside).</summary>
    internal TOut CallAsChild(TIn input)
    {
        using CallScope scope = EnterCall(null, 0);
        return Forward(input);
    }
}
