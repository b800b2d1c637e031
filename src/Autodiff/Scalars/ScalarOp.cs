namespace Autodiff;

/// <summary>The kind of a recorded scalar operation; shown when a tape is printed.</summary>
public enum ScalarOp : byte
{
    /// <summary>The unused slot that absorbs contributions to missing inputs.</summary>
    None,

    /// <summary>An independent variable.</summary>
    Variable,

    /// <summary>A constant.</summary>
    Constant,

    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Subtract,

    /// <summary>a · b.</summary>
    Multiply,

    /// <summary>a / b.</summary>
    Divide,

    /// <summary>−a.</summary>
    Negate,

    /// <summary>aᵇ.</summary>
    Pow,

    /// <summary>eˣ.</summary>
    Exp,

    /// <summary>ln x.</summary>
    Log,

    /// <summary>√x.</summary>
    Sqrt,

    /// <summary>sin x.</summary>
    Sin,

    /// <summary>cos x.</summary>
    Cos,

    /// <summary>tan x.</summary>
    Tan,

    /// <summary>tanh x.</summary>
    Tanh,

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    Sigmoid,

    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>x for x &gt; 0, slope · x otherwise.</summary>
    LeakyRelu,

    /// <summary>|x|.</summary>
    Abs,

    /// <summary>max(a, b).</summary>
    Max,

    /// <summary>min(a, b).</summary>
    Min,

    /// <summary>ln(1 + eˣ).</summary>
    Softplus,

    /// <summary>x · Φ(x).</summary>
    Gelu,

    /// <summary>Φ(x), the standard normal CDF.</summary>
    NormalCdf,

    /// <summary>eˣ − 1.</summary>
    Expm1,

    /// <summary>ln(1 + x).</summary>
    Log1p,

    /// <summary>√(a² + b²).</summary>
    Hypot,

    /// <summary>atan2(y, x), the angle of the point (x, y).</summary>
    Atan2,

    /// <summary>erf x, the error function.</summary>
    Erf,

    /// <summary>erfc x = 1 − erf x.</summary>
    Erfc,
}
