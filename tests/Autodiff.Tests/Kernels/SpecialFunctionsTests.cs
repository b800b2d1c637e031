using Autodiff.Kernels;

namespace Autodiff.Tests;

/// <summary>
/// Erf, Erfc, the standard normal distribution, Log1p and Expm1 against reference values. Every expected value is the
/// double nearest to the exact result for the (double) argument shown, computed with 50-digit mpmath; the
/// classical ones agree with Abramowitz and Stegun, table 7.1.
/// </summary>
[TestFixture]
public sealed class SpecialFunctionsTests
{
    // The documented accuracy is below 1e-15 (absolute for erf, relative for the others); these tolerances
    // leave a margin for other platforms' Math.Exp and Math.Log.
    private const double ErfAbsoluteTolerance = 2e-15;
    private const double RelativeTolerance = 1e-14;

    [TestCase(1e-300, 1.1283791670955126e-300)]
    [TestCase(1e-10, 1.1283791670955126e-10)]
    [TestCase(0.1, 0.1124629160182849)]
    [TestCase(0.5, 0.5204998778130465)]
    [TestCase(1.0, 0.8427007929497149)]
    [TestCase(1.5, 0.9661051464753108)]
    [TestCase(1.9999, 0.9953201979070294)]
    [TestCase(2.0, 0.9953222650189527)]
    [TestCase(2.5, 0.999593047982555)]
    [TestCase(3.0, 0.9999779095030014)]
    [TestCase(4.0, 0.9999999845827421)]
    [TestCase(5.9, 0.9999999999999999)]
    [TestCase(-0.5, -0.5204998778130465)]
    [TestCase(-2.5, -0.999593047982555)]
    public void Erf_matches_table_values(double x, double expected)
    {
        Assert.That(SpecialFunctions.Erf(x), Is.EqualTo(expected).Within(ErfAbsoluteTolerance));
    }

    [TestCase(1e-300, 1.1283791670955126e-300)]
    [TestCase(1e-10, 1.1283791670955126e-10)]
    [TestCase(0.1, 0.1124629160182849)]
    public void Erf_is_relatively_accurate_near_zero(double x, double expected)
    {
        Assert.That(SpecialFunctions.Erf(x), Is.EqualTo(expected).Within(RelativeTolerance * expected));
    }

    [TestCase(0.0, 1.0)]
    [TestCase(0.5, 0.4795001221869535)]
    [TestCase(0.7499999999999999, 0.2888443663464849)]
    [TestCase(0.75, 0.28884436634648486)]
    [TestCase(1.0, 0.15729920705028513)]
    [TestCase(2.0, 0.004677734981047266)]
    [TestCase(3.0, 2.209049699858544e-05)]
    [TestCase(5.0, 1.537459794428035e-12)]
    [TestCase(10.0, 2.088487583762545e-45)]
    [TestCase(9.3, 1.653244184030135e-39)]
    [TestCase(13.7, 1.2613158337408749e-83)]
    [TestCase(20.0, 5.395865611607901e-176)]
    [TestCase(26.1, 3.081217493314593e-298)]
    [TestCase(26.5, 2.2109076642637343e-307)]
    [TestCase(-1.0, 1.8427007929497148)]
    [TestCase(-3.0, 1.9999779095030015)]
    public void Erfc_matches_table_values_to_relative_accuracy(double x, double expected)
    {
        Assert.That(SpecialFunctions.Erfc(x), Is.EqualTo(expected).Within(RelativeTolerance * expected));
    }

    [Test]
    public void Erf_is_odd_and_erfc_reflects_about_one()
    {
        for (double x = 0; x <= 7; x += 1.0 / 64)
        {
            Assert.That(SpecialFunctions.Erf(-x), Is.EqualTo(-SpecialFunctions.Erf(x)), $"x = {x}");
            Assert.That(
                SpecialFunctions.Erfc(x) + SpecialFunctions.Erfc(-x),
                Is.EqualTo(2.0).Within(ErfAbsoluteTolerance),
                $"x = {x}");
        }
    }

    [Test]
    public void Erf_and_erfc_add_up_to_one()
    {
        for (double x = -7; x <= 7; x += 1.0 / 64)
        {
            Assert.That(
                SpecialFunctions.Erf(x) + SpecialFunctions.Erfc(x),
                Is.EqualTo(1.0).Within(ErfAbsoluteTolerance),
                $"x = {x}");
        }
    }

    [Test]
    public void Erf_keeps_the_sign_of_zero()
    {
        Assert.That(double.IsNegative(SpecialFunctions.Erf(-0.0)), Is.True);
        Assert.That(double.IsNegative(SpecialFunctions.Erf(0.0)), Is.False);
        Assert.That(SpecialFunctions.Erf(-0.0), Is.Zero);
    }

    [Test]
    public void Infinities_saturate_and_nan_propagates()
    {
        Assert.That(SpecialFunctions.Erf(double.PositiveInfinity), Is.EqualTo(1.0));
        Assert.That(SpecialFunctions.Erf(double.NegativeInfinity), Is.EqualTo(-1.0));
        Assert.That(SpecialFunctions.Erfc(double.PositiveInfinity), Is.Zero);
        Assert.That(SpecialFunctions.Erfc(double.NegativeInfinity), Is.EqualTo(2.0));
        Assert.That(SpecialFunctions.Erfc(30.0), Is.Zero);
        Assert.That(SpecialFunctions.NormalCdf(double.NegativeInfinity), Is.Zero);
        Assert.That(SpecialFunctions.NormalCdf(double.PositiveInfinity), Is.EqualTo(1.0));
        Assert.That(SpecialFunctions.NormalPdf(double.PositiveInfinity), Is.Zero);
        Assert.That(SpecialFunctions.NormalPdf(double.NegativeInfinity), Is.Zero);
        Assert.That(SpecialFunctions.Log1p(double.PositiveInfinity), Is.EqualTo(double.PositiveInfinity));

        Assert.That(SpecialFunctions.Erf(double.NaN), Is.NaN);
        Assert.That(SpecialFunctions.Erfc(double.NaN), Is.NaN);
        Assert.That(SpecialFunctions.NormalCdf(double.NaN), Is.NaN);
        Assert.That(SpecialFunctions.NormalPdf(double.NaN), Is.NaN);
        Assert.That(SpecialFunctions.Log1p(double.NaN), Is.NaN);
    }

    [TestCase(0.0, 0.5)]
    [TestCase(1.96, 0.9750021048517795)]
    [TestCase(-1.0, 0.15865525393145705)]
    [TestCase(-1.96, 0.024997895148220435)]
    [TestCase(-3.0, 0.0013498980316300946)]
    [TestCase(-10.0, 7.619853024160525e-24)]
    [TestCase(-11.3, 6.560899940904157e-30)]
    [TestCase(-20.0, 2.7536241186062337e-89)]
    [TestCase(-35.7, 1.9765810879591524e-279)]
    [TestCase(-37.0, 5.725571222524577e-300)]
    [TestCase(5.0, 0.9999997133484281)]
    [TestCase(8.0, 0.9999999999999993)]
    public void NormalCdf_is_relatively_accurate_down_the_left_tail(double x, double expected)
    {
        Assert.That(SpecialFunctions.NormalCdf(x), Is.EqualTo(expected).Within(RelativeTolerance * expected));
    }

    [TestCase(0.0, 0.3989422804014327)]
    [TestCase(1.0, 0.24197072451914334)]
    [TestCase(-2.5, 0.017528300493568537)]
    [TestCase(10.0, 7.694598626706419e-23)]
    [TestCase(17.1, 1.2731668997619361e-64)]
    [TestCase(-30.0, 1.4736461348785476e-196)]
    [TestCase(-37.3, 3.062846290695667e-303)]
    public void NormalPdf_matches_reference_values(double x, double expected)
    {
        Assert.That(SpecialFunctions.NormalPdf(x), Is.EqualTo(expected).Within(RelativeTolerance * expected));
    }

    [TestCase(1e-20, 1e-20)]
    [TestCase(1e-10, 9.999999999500001e-11)]
    [TestCase(-1e-10, -1.00000000005e-10)]
    [TestCase(1e-5, 9.999950000333332e-06)]
    [TestCase(0.5, 0.4054651081081644)]
    [TestCase(-0.5, -0.6931471805599453)]
    [TestCase(1e300, 690.7755278982137)]
    public void Log1p_is_relatively_accurate(double x, double expected)
    {
        Assert.That(
            SpecialFunctions.Log1p(x),
            Is.EqualTo(expected).Within(RelativeTolerance * Math.Abs(expected)));
    }

    [TestCase(1e-300, 1e-300)]
    [TestCase(1e-17, 1e-17)]
    [TestCase(1e-10, 1.00000000005e-10)]
    [TestCase(-1e-10, -9.999999999500001e-11)]
    [TestCase(1e-5, 1.0000050000166668e-05)]
    [TestCase(0.1, 0.10517091807564763)]
    [TestCase(-0.1, -0.09516258196404043)]
    [TestCase(0.5, 0.6487212707001282)]
    [TestCase(-0.7, -0.5034146962085905)]
    [TestCase(1.0, 1.7182818284590453)]
    [TestCase(-1.0, -0.6321205588285577)]
    [TestCase(5.0, 147.4131591025766)]
    [TestCase(-20.0, -0.9999999979388464)]
    [TestCase(700.0, 1.0142320547350045e+304)]
    public void Expm1_is_relatively_accurate(double x, double expected)
    {
        Assert.That(SpecialFunctions.Expm1(x), Is.EqualTo(expected).Within(RelativeTolerance * Math.Abs(expected)));
    }

    [Test]
    public void Expm1_saturates_keeps_the_sign_of_zero_and_gives_the_exponential()
    {
        Assert.That(SpecialFunctions.Expm1(-40.0), Is.EqualTo(-1.0));
        Assert.That(SpecialFunctions.Expm1(double.NegativeInfinity), Is.EqualTo(-1.0));
        Assert.That(SpecialFunctions.Expm1(710.0), Is.EqualTo(double.PositiveInfinity));
        Assert.That(SpecialFunctions.Expm1(double.NaN), Is.NaN);
        Assert.That(double.IsNegative(SpecialFunctions.Expm1(-0.0)), Is.True);
        Assert.That(double.ExpM1(1e-17), Is.Zero, "the BCL's ExpM1 is Exp(x) − 1: the reason for ours");

        // Where e^x − 1 rounds to −1, its derivative e^x is still there to full precision.
        Assert.That(SpecialFunctions.Expm1(-50.0, out double exp), Is.EqualTo(-1.0));
        Assert.That(exp, Is.EqualTo(Math.Exp(-50.0)));
    }

    [TestCase(0.0, 1.1283791670955126)]
    [TestCase(0.5, 0.8787825789354448)]
    [TestCase(-2.0, 0.020666985354092053)]
    [TestCase(5.0, 1.5670866531017336e-11)]
    [TestCase(26.0, 2.9470349932662697e-294)]
    public void Erf_derivative_matches_reference_values(double x, double expected)
    {
        Assert.That(SpecialFunctions.ErfDerivative(x), Is.EqualTo(expected).Within(RelativeTolerance * expected));
    }

    [Test]
    public void Log1p_is_minus_infinity_at_minus_one_and_nan_below()
    {
        Assert.That(SpecialFunctions.Log1p(-1.0), Is.EqualTo(double.NegativeInfinity));
        Assert.That(SpecialFunctions.Log1p(-1.5), Is.NaN);
        Assert.That(SpecialFunctions.Log1p(double.NegativeInfinity), Is.NaN);
    }

    [Test]
    public void The_float_normal_cdf_has_a_floats_precision_including_the_far_tail()
    {
        double worst = 0;
        for (double x = -12; x <= 8; x += 0.001)
        {
            float approximate = SpecialFunctions.NormalCdf((float)x);
            double exact = SpecialFunctions.NormalCdf((double)(float)x);
            worst = Math.Max(worst, Math.Abs(approximate - exact) / exact);
        }

        Assert.That(worst, Is.LessThan(4e-7), "relative error of Φ in float, from Φ(−12) ≈ 1.8e-33 to Φ(8) ≈ 1");
    }
}
