namespace Autodiff.NN;

/// <summary>What <see cref="Module.LoadStateDict"/> could not match (PyTorch's <c>_IncompatibleKeys</c>).</summary>
/// <param name="MissingKeys">Parameters of the model that the state dict had no value for; left unchanged.</param>
/// <param name="UnexpectedKeys">Keys of the state dict that name no parameter of the model; ignored.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>
    /// As PyTorch prints the result of <c>load_state_dict</c>: <c>&lt;All keys matched successfully&gt;</c>, or
    /// <c>_IncompatibleKeys(missing_keys=['a'], unexpected_keys=['b'])</c> with both lists.
    /// </summary>
    public override string ToString()
        => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0
            ? "<All keys matched successfully>"
            : $"_IncompatibleKeys(missing_keys={List(MissingKeys)}, unexpected_keys={List(UnexpectedKeys)})";

    // Python's repr of a list of str: single quotes, ", " between.
    private static string List(IReadOnlyList<string> keys) => "[" + string.Join(", ", keys.Select(k => $"'{k}'")) + "]";
}
