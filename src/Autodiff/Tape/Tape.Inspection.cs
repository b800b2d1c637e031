using System.Globalization;
using System.Text;

namespace Autodiff;

public sealed partial class Tape
{
    /// <summary>
    /// A readable listing of the tape, one entry per line: slot, operation, inputs, value and the source line
    /// that recorded it (operators record none; see <see cref="Scalar"/>).
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Tape: {Count} entries{(_disposed ? " (disposed)" : "")}").AppendLine();
        for (int i = 1; i < _count; i++)
        {
            ScalarOp op = OpAt(i);
            string label = op switch
            {
                ScalarOp.Variable => _names is not null && _names.TryGetValue(i, out string? name) ? name : "",
                ScalarOp.Constant => "",
                _ => Inputs(i),
            };
            string line = string.Create(CultureInfo.InvariantCulture, $"{"#" + i,8}  {op,-10} {label,-16} = {_values[i],-24:R} {Where(i)}");
            sb.Append(line.TrimEnd(' ')).AppendLine(); // the columns are padded; an entry without a location ends early
        }

        if (_tensorNodes.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Tensor ops: {_tensorNodes.Count}").AppendLine();
            for (int i = 0; i < _tensorNodes.Count; i++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{"T" + i,8}  {_tensorNodes[i].Describe()}").AppendLine();
            }
        }

        return sb.ToString();
    }

    /// <summary>The tape as a Graphviz DOT graph: one node per entry, an edge from each input to its consumer.</summary>
    /// <remarks>Render with <c>dot -Tpng tape.dot -o tape.png</c>.</remarks>
    public string ToDot()
    {
        var sb = new StringBuilder();
        sb.AppendLine("digraph tape {");
        sb.AppendLine("  rankdir=LR;");
        sb.AppendLine("  node [shape=box, fontname=\"monospace\"];");
        for (int i = 1; i < _count; i++)
        {
            ScalarOp op = OpAt(i);
            string name = _names is not null && _names.TryGetValue(i, out string? n) ? $" {n}" : "";
            string shape = op is ScalarOp.Variable or ScalarOp.Constant ? ", shape=ellipse" : "";
            sb.Append(CultureInfo.InvariantCulture, $"  n{i} [label=\"#{i} {op}{Escape(name)}\\n{_values[i]:G6}\"{shape}];").AppendLine();
            Entry e = _entries[i];
            if (e.A != Sink)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  n{e.A} -> n{i};").AppendLine();
            }

            if (e.B != Sink)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  n{e.B} -> n{i};").AppendLine();
            }
        }

        for (int i = 0; i < _tensorNodes.Count; i++)
        {
            ITensorNode node = _tensorNodes[i];
            sb.Append(CultureInfo.InvariantCulture, $"  t{i} [label=\"{Escape(node.Describe())}\"];").AppendLine();
            foreach (ITensorNode producer in node.Producers)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  t{_tensorNodes.IndexOf(producer)} -> t{i};").AppendLine();
            }
        }

        sb.AppendLine("}");
        return sb.ToString();
    }

    private ScalarOp OpAt(int i) => (ScalarOp)(_ops[i] & ~(HasLocation | ConstantFirst));

    /// <summary>"File.cs:line" of an entry recorded with caller info, else empty.</summary>
    private string Where(int i)
        => (_ops[i] & HasLocation) == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(_locations[i].File)}:{_locations[i].Line}");

    private string Inputs(int i)
    {
        Entry e = _entries[i];
        return (e.A, e.B) switch
        {
            (Sink, Sink) => "",
            (_, Sink) => $"#{e.A}",
            _ => $"#{e.A}, #{e.B}",
        };
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
