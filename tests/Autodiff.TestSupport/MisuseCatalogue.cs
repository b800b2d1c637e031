namespace Autodiff.Testing;

/// <summary>
/// The runner of a misuse catalogue: one case per way of holding the library wrong, each asserting the specific
/// exception type and the parts of its message that say what went wrong and what to do. Both libraries' catalogues
/// run through it.
/// </summary>
public static class MisuseCatalogue
{
    /// <summary>Runs <paramref name="act"/> and asserts that it throws exactly <paramref name="expected"/>, its message containing every part of <paramref name="says"/>.</summary>
    /// <param name="name">The case's name, for the failure message.</param>
    /// <param name="act">What the user does.</param>
    /// <param name="expected">The exception type it must raise (not a subtype).</param>
    /// <param name="says">Fragments the message must contain.</param>
    public static void AssertRaises(string name, Action act, Type expected, IEnumerable<string> says)
    {
        ArgumentNullException.ThrowIfNull(act);
        ArgumentNullException.ThrowIfNull(says);
        Exception? thrown = null;
        try
        {
            act();
        }
        catch (Exception ex)
        {
            thrown = ex;
        }

        Assert.That(thrown, Is.Not.Null, $"{name}: nothing was thrown");
        Assert.That(thrown, Is.TypeOf(expected), $"{name}: {thrown}");
        foreach (string part in says)
        {
            Assert.That(thrown!.Message, Does.Contain(part), name);
        }
    }

    /// <summary>Asserts that the catalogue's case names are unique and that it has at least <paramref name="atLeast"/> cases.</summary>
    /// <param name="names">The cases' names.</param>
    /// <param name="atLeast">The smallest size the catalogue may shrink to.</param>
    public static void AssertDistinct(IEnumerable<string> names, int atLeast)
    {
        var list = names.ToList();
        Assert.That(list, Is.Unique);
        Assert.That(list, Has.Count.GreaterThanOrEqualTo(atLeast));
    }
}
