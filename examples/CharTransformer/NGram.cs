namespace Autodiff.Examples;

/// <summary>
/// A smoothed character n-gram model, the baseline a neural model must beat: interpolated Kneser–Ney over orders
/// 1…n (absolute discount 0.75), the unigram level interpolated with a uniform distribution so that no symbol has
/// probability 0. Fit on the training split; scored in bits per character on any text.
/// </summary>
public sealed class NGram
{
    private const double Discount = 0.75;
    private readonly int _order, _vocabulary;

    // For each order k (context of k − 1 symbols): counts of (context, next); per context its total, the number of
    // distinct continuations; for the lower orders, continuation counts (distinct left contexts) instead of counts.
    private readonly Dictionary<long, int>[] _counts;
    private readonly Dictionary<long, (int Total, int Distinct)>[] _contexts;

    public NGram(int[] text, int order, int vocabulary)
    {
        _order = order;
        _vocabulary = vocabulary;
        _counts = new Dictionary<long, int>[order + 1];
        _contexts = new Dictionary<long, (int, int)>[order + 1];
        for (int k = 1; k <= order; k++)
        {
            _counts[k] = [];
            _contexts[k] = [];
        }

        // The highest order counts occurrences; each lower order counts the distinct symbols that precede it (KN).
        var seen = new HashSet<long>[order + 1];
        for (int k = 1; k < order; k++)
        {
            seen[k] = [];
        }

        for (int i = 0; i < text.Length; i++)
        {
            for (int k = 1; k <= order && k <= i + 1; k++)
            {
                long gram = Key(text, i, k);
                if (k == order || i - k < 0)
                {
                    Add(k, gram);
                }
                else if (seen[k].Add(Key(text, i, k + 1)))
                {
                    Add(k, gram);
                }
            }
        }
    }

    public int Order => _order;

    /// <summary>The average −log₂ p(next | the n − 1 symbols before it) over <paramref name="text"/>.</summary>
    public double BitsPerCharacter(int[] text)
    {
        double bits = 0;
        for (int i = 0; i < text.Length; i++)
        {
            bits -= Math.Log2(Probability(text, i));
        }

        return bits / text.Length;
    }

    /// <summary>p(text[i] | its context), interpolated from the unigram level up.</summary>
    private double Probability(int[] text, int i)
    {
        double p = 1.0 / _vocabulary;
        for (int k = 1; k <= _order && k <= i + 1; k++)
        {
            long context = k == 1 ? 0 : Key(text, i - 1, k - 1) + 1;
            if (!_contexts[k].TryGetValue(context, out (int Total, int Distinct) c) || c.Total == 0)
            {
                continue; // an unseen context: the lower order stands
            }

            _counts[k].TryGetValue(Key(text, i, k), out int count);
            double lambda = Discount * c.Distinct / c.Total;
            p = (Math.Max(count - Discount, 0) / c.Total) + (lambda * p);
        }

        return p;
    }

    private void Add(int k, long gram)
    {
        _counts[k][gram] = _counts[k].TryGetValue(gram, out int n) ? n + 1 : 1;
        long context = k == 1 ? 0 : (gram / 256) + 1; // the gram without its last symbol
        (int total, int distinct) = _contexts[k].TryGetValue(context, out var c) ? c : (0, 0);
        _contexts[k][context] = (total + 1, distinct + (n == 0 ? 1 : 0));
    }

    /// <summary>The k symbols ending at i, base 256 (the alphabet is smaller), tagged with k so that orders never collide.</summary>
    private static long Key(int[] text, int i, int k)
    {
        long key = 0;
        for (int j = i - k + 1; j <= i; j++)
        {
            key = (key * 256) + text[j];
        }

        return key;
    }
}
