// ChainRule: the chain rule by hand and by tape, side by side.
//
//   dotnet run -c Release --project examples/ChainRule            all points
//   dotnet run -c Release --project examples/ChainRule -- --quick  fewer points (what CI runs)
//
// Two worked examples from the lecture notes, each derivative printed beside the closed form the notes give:
//   1. note 000, eqs. 5.109–5.110: f(x) = √(x² + exp(x²)) + cos(x² + exp(x²)) and df/dx;
//   2. note 001: the 2-2-1 XOR network with ReLU hidden units and its 9 hand-derived partial derivatives.
// Every comparison is a check; the program ends with "N checks passed, M failed" and exits with 1 if any failed.
// Numbers are formatted with FormattableString.Invariant (CultureInfo.InvariantCulture) whatever the locale.

using System.Diagnostics;
using Autodiff;
using Autodiff.Examples;
using static System.FormattableString;

var clock = Stopwatch.StartNew();

bool quick = false;
foreach (string arg in args)
{
    if (arg == "--quick")
    {
        quick = true;
    }
    else
    {
        Console.Error.WriteLine($"unknown argument '{arg}'; usage: ChainRule [--quick]");
        return 2;
    }
}

int passed = 0;
int failed = 0;

// One tape for the whole program: Reset() forgets the entries but keeps the storage.
using var tape = new Tape();

// =====================================================================================================
Section("1. Note 000, eq. 5.109: f(x) = √(x² + exp(x²)) + cos(x² + exp(x²))");
// =====================================================================================================

Text("""
    The notes differentiate f by hand (eq. 5.110):

        df/dx = 2x · ( 1 / (2√(x² + exp(x²))) − sin(x² + exp(x²)) ) · (1 + exp(x²))

    The tape instead records every elementary operation of the forward pass (x·x, exp, +, √, cos, …)
    together with its local derivative, then sweeps the record once backwards, multiplying local
    derivatives along every path from f to x and adding up the paths. No formula for df/dx is written
    anywhere. Below, f is typed exactly as printed in eq. 5.109 (x² and exp(x²) each appear twice).
    A check passes when |tape − closed form| ≤ 1e-12 · max(1, |closed form|).
    """);

double[] points = quick ? [-1.5, -0.5, 0.0, 0.5, 1.5] : [-2.0, -1.5, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0];

Console.WriteLine(Invariant($"{"x",6}  {"f(x)",24}  {"df/dx (tape)",24}  {"df/dx (eq. 5.110)",24}  {"|difference|",12}"));
foreach (double xv in points)
{
    tape.Reset();
    Scalar x = tape.Variable(xv, "x");
    Scalar f = Scalar.Sqrt(x * x + Scalar.Exp(x * x)) + Scalar.Cos(x * x + Scalar.Exp(x * x));
    double tapeDerivative = tape.Gradient(f, x);
    double closed = ClosedForm5110(xv);
    bool ok = Check(tapeDerivative, closed, 1e-12);
    Console.WriteLine(Invariant($"{xv,6:0.00}  {f.Value,24:R}  {Show(tapeDerivative),24:R}  {Show(closed),24:R}  {Math.Abs(tapeDerivative - closed),12:0.0e+00}  {Mark(ok)}"));
}

Text("""

    The tape for x = 0.5, as recorded (tape.ToString()). Each line is one entry of the Wengert list:
    slot, operation, input slots, value, and the source line that recorded it. Operators (+ − · /)
    carry no source line (C# operators cannot take caller-info arguments); named functions do.
    """);
tape.Reset();
{
    Scalar x = tape.Variable(0.5, "x");
    Scalar f = Scalar.Sqrt(x * x + Scalar.Exp(x * x)) + Scalar.Cos(x * x + Scalar.Exp(x * x));
    Console.Write(tape.ToString());
    Console.WriteLine(Invariant($"df/dx at x = 0.5: {tape.Gradient(f, x):R}  ({tape.Count} entries)"));
}

Text("""

    The same function with the common subexpressions named, as one would evaluate it by hand:
        a = x²,  b = exp(a),  c = a + b,  f = √c + cos c
    c now feeds two operations, so in the backward sweep its adjoint receives two contributions
    (∂f/∂c = 1/(2√c) − sin c), which the tape adds up. Fewer entries, same derivative.
    """);
tape.Reset();
{
    Scalar x = tape.Variable(0.5, "x");
    Scalar a = x * x;
    Scalar b = Scalar.Exp(a);
    Scalar c = a + b;
    Scalar f = Scalar.Sqrt(c) + Scalar.Cos(c);
    Console.Write(tape.ToString());
    double tapeDerivative = tape.Gradient(f, x);
    double closed = ClosedForm5110(0.5);
    bool ok = Check(tapeDerivative, closed, 1e-12);
    Console.WriteLine(Invariant($"df/dx at x = 0.5: {tapeDerivative:R} (tape, {tape.Count} entries) vs {closed:R} (eq. 5.110)  {Mark(ok)}"));

    // Written beside the program (bin/, ignored by git) so that runs from the repository root leave no files behind.
    string dotFile = Path.Combine(AppContext.BaseDirectory, "chainrule.dot");
    File.WriteAllText(dotFile, tape.ToDot());
    Console.WriteLine(Invariant($"The graph of this tape (tape.ToDot()) is in {dotFile}; render it with Graphviz:"));
    Console.WriteLine(Invariant($"    dot -Tpng {dotFile} -o chainrule.png"));
}

// =====================================================================================================
Section("2. Note 001: the XOR network and its 9 partial derivatives");
// =====================================================================================================

Text("""
    A 2-2-1 network with ReLU hidden units σ(z) = max(z, 0), a linear output and the loss of one example:

        z1 = w1·x1 + w2·x2 + b1        z2 = w3·x1 + w4·x2 + b2
        ŷ  = w5·σ(z1) + w6·σ(z2) + b3      f = ½(ŷ − y)²

    Note 001 derives each partial with the chain rule, ∂f/∂p = (ŷ − y) · ∂ŷ/∂p, where σ′(z) = 1 if z > 0
    else 0 (the project also takes ReLU′(0) = 0):

        ∂f/∂w1 = (ŷ−y)·w5·σ′(z1)·x1   ∂f/∂w2 = (ŷ−y)·w5·σ′(z1)·x2   ∂f/∂b1 = (ŷ−y)·w5·σ′(z1)
        ∂f/∂w3 = (ŷ−y)·w6·σ′(z2)·x1   ∂f/∂w4 = (ŷ−y)·w6·σ′(z2)·x2   ∂f/∂b2 = (ŷ−y)·w6·σ′(z2)
        ∂f/∂w5 = (ŷ−y)·σ(z1)          ∂f/∂w6 = (ŷ−y)·σ(z2)          ∂f/∂b3 = (ŷ−y)

    The weights below are fixed (not trained) and chosen so that each hidden unit is active (z > 0) for
    some inputs and inactive (z < 0) for others, and no z is exactly 0. A check passes when
    |tape − hand| ≤ 1e-14 · max(1, |hand|).
    """);

string[] names = ["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"];
double[] weights = [0.9, -0.6, -0.7, 1.1, 1.3, -0.8, 0.1, -0.2, 0.05];
(double X1, double X2, double Y)[] xor = [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)];

Console.WriteLine(string.Join("  ", names.Select((n, i) => Invariant($"{n} = {weights[i]}"))));

var parameters = new Scalar[names.Length];
double[] fromTape = new double[names.Length];
foreach ((double x1, double x2, double y) in xor)
{
    // Forward pass on the tape, with every parameter a named variable.
    tape.Reset();
    for (int i = 0; i < names.Length; i++)
    {
        parameters[i] = tape.Variable(weights[i], names[i]);
    }

    Scalar w1 = parameters[0], w2 = parameters[1], w3 = parameters[2], w4 = parameters[3], w5 = parameters[4], w6 = parameters[5];
    Scalar b1 = parameters[6], b2 = parameters[7], b3 = parameters[8];
    Scalar z1 = w1 * x1 + w2 * x2 + b1;
    Scalar z2 = w3 * x1 + w4 * x2 + b2;
    Scalar yHat = w5 * Scalar.Relu(z1) + w6 * Scalar.Relu(z2) + b3;
    Scalar error = yHat - y;
    Scalar loss = 0.5 * error * error;

    // Backward pass: all 9 partials in one sweep.
    tape.Gradient(loss, parameters, fromTape);

    // The hand-derived partials of note 001, from plain doubles.
    double r = yHat.Value - y;                        // ∂f/∂ŷ
    double s1 = z1.Value > 0 ? 1.0 : 0.0;             // σ′(z1)
    double s2 = z2.Value > 0 ? 1.0 : 0.0;             // σ′(z2)
    double h1 = Math.Max(z1.Value, 0.0);              // σ(z1)
    double h2 = Math.Max(z2.Value, 0.0);              // σ(z2)
    double[] hand =
    [
        r * w5.Value * s1 * x1,     // ∂f/∂w1
        r * w5.Value * s1 * x2,     // ∂f/∂w2
        r * w6.Value * s2 * x1,     // ∂f/∂w3
        r * w6.Value * s2 * x2,     // ∂f/∂w4
        r * h1,                     // ∂f/∂w5
        r * h2,                     // ∂f/∂w6
        r * w5.Value * s1,          // ∂f/∂b1
        r * w6.Value * s2,          // ∂f/∂b2
        r,                          // ∂f/∂b3
    ];

    Console.WriteLine();
    Console.WriteLine(Invariant($"(x1, x2) = ({x1}, {x2}), y = {y}:  z1 = {z1.Value:0.####} ({Unit(z1.Value)}), z2 = {z2.Value:0.####} ({Unit(z2.Value)}), ŷ = {yHat.Value:0.####}, f = {loss.Value:0.######}"));
    Console.WriteLine(Invariant($"    {"p",-4}{"∂f/∂p (tape)",24}  {"∂f/∂p (note 001)",24}  {"|difference|",12}"));
    for (int i = 0; i < names.Length; i++)
    {
        bool ok = Check(fromTape[i], hand[i], 1e-14);
        Console.WriteLine(Invariant($"    {names[i],-4}{Show(fromTape[i]),24:R}  {Show(hand[i]),24:R}  {Math.Abs(fromTape[i] - hand[i]),12:0.0e+00}  {Mark(ok)}"));
    }
}

Text("""

    Where a hidden unit is inactive (z < 0), its ReLU passes no gradient back: the partials of its
    incoming weights and bias are exactly 0, as the case analysis in note 001 says. Where a unit is active,
    the tape and the hand-derived formulas agree to the last bit.
    """);

// =====================================================================================================
Console.WriteLine();
Console.WriteLine(Invariant($"{passed} checks passed, {failed} failed"));
Console.WriteLine(Notebook.TotalLine(clock.Elapsed));
return failed == 0 ? 0 : 1;

// ---- helpers ------------------------------------------------------------------------------------------

// Eq. 5.110, the derivative of eq. 5.109 written out by hand.
static double ClosedForm5110(double x)
{
    double u = (x * x) + Math.Exp(x * x);
    return 2.0 * x * ((1.0 / (2.0 * Math.Sqrt(u))) - Math.Sin(u)) * (1.0 + Math.Exp(x * x));
}

// Passes when |actual − expected| ≤ tolerance · max(1, |expected|); NaN never passes.
bool Check(double actual, double expected, double tolerance)
{
    bool ok = Math.Abs(actual - expected) <= tolerance * Math.Max(1.0, Math.Abs(expected));
    if (ok)
    {
        passed++;
    }
    else
    {
        failed++;
    }

    return ok;
}

// Prints −0 (from a product with a zero σ′) as 0: the sign of a zero says nothing here.
static double Show(double v) => v == 0.0 ? 0.0 : v;

static string Mark(bool ok) => ok ? "ok" : "FAILED";

static string Unit(double z) => z > 0 ? "active" : "inactive";

static void Section(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
    Console.WriteLine(new string('=', title.Length));
}

static void Text(string text) => Console.WriteLine(text);
