using System.Text;

namespace Autodiff.Examples;

/// <summary>
/// A character-level corpus from Debian's fortunes package: every record (the text between lines holding a single
/// '%') is a document; documents are split into training and validation by a seeded shuffle, so that no fortune is
/// seen in both. Characters are the alphabet of the training split, with one extra symbol for anything else.
/// </summary>
public sealed class Corpus
{
    public const string Folder = "/usr/share/games/fortunes";

    private Corpus(string[] train, string[] validation)
    {
        char[] alphabet = [.. string.Concat(train).Distinct().Order()];
        Alphabet = [.. alphabet, '\u25A1']; // □ stands for a character the training split never has
        var index = new Dictionary<char, int>();
        for (int i = 0; i < alphabet.Length; i++)
        {
            index[alphabet[i]] = i;
        }

        Unknown = alphabet.Length;
        Train = Encode(train, index);
        Validation = Encode(validation, index);
        TrainDocuments = train.Length;
        ValidationDocuments = validation.Length;
    }

    /// <summary>The symbols; the last is the stand-in for characters outside the training alphabet.</summary>
    public char[] Alphabet { get; }

    public int Unknown { get; }

    public int VocabularySize => Alphabet.Length;

    /// <summary>The training text, documents joined by '\n%\n' as the files have them, as symbol indices.</summary>
    public int[] Train { get; }

    public int[] Validation { get; }

    public int TrainDocuments { get; }

    public int ValidationDocuments { get; }

    /// <summary>Loads every fortune file, or throws <see cref="DirectoryNotFoundException"/> saying how to install them.</summary>
    public static Corpus Load(double validationFraction = 0.1, int seed = 1, int? maxCharacters = null)
    {
        if (!Directory.Exists(Folder))
        {
            throw new DirectoryNotFoundException($"No fortunes in {Folder}. This example needs Debian's package fortunes: sudo apt-get install fortunes");
        }

        var documents = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Folder).Where(f => Path.GetExtension(f).Length == 0).Order(StringComparer.Ordinal))
        {
            string text = Clean(File.ReadAllText(file, Encoding.Latin1));
            documents.AddRange(text.Split("\n%\n").Select(d => d.Trim('\n')).Where(d => d.Length > 0));
        }

        var random = new Random(seed);
        string[] shuffled = [.. documents.OrderBy(_ => random.Next())];
        if (maxCharacters is int max)
        {
            int total = 0, count = 0;
            while (count < shuffled.Length && total < max)
            {
                total += shuffled[count++].Length + 3;
            }

            shuffled = shuffled[..count];
        }

        int validation = Math.Max(1, (int)Math.Round(shuffled.Length * validationFraction));
        return new Corpus(shuffled[validation..], shuffled[..validation]);
    }

    /// <summary>The text of <paramref name="symbols"/>.</summary>
    public string Decode(IEnumerable<int> symbols) => new([.. symbols.Select(s => Alphabet[s])]);

    /// <summary>Tabs become spaces, backspace overstrikes (x\bx) and other control characters go; lines keep their breaks.</summary>
    private static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text.Replace("\r", "", StringComparison.Ordinal))
        {
            if (c == '\b')
            {
                if (sb.Length > 0)
                {
                    sb.Length--;
                }
            }
            else if (c == '\t')
            {
                sb.Append(' ');
            }
            else if (c == '\n' || !char.IsControl(c))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private int[] Encode(string[] documents, Dictionary<char, int> index)
    {
        string text = string.Join("\n%\n", documents) + "\n%\n";
        var symbols = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            symbols[i] = index.TryGetValue(text[i], out int s) ? s : Unknown;
        }

        return symbols;
    }
}
