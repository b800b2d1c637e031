namespace Autodiff.NN;

/// <summary>What <see cref="Module.LoadStateDict"/> could not match (PyTorch's <c>_IncompatibleKeys</c>).</summary>
/// <param name="MissingKeys">Parameters of the model that the state dict had no value for; left unchanged.</param>
/// <param name="UnexpectedKeys">Keys of the state dict that name no parameter of the model; ignored.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
