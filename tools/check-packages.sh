#!/usr/bin/env bash
# Proves that the two packages install and work for a stranger: packs Wengert.Autodiff and Wengert.Autodiff.NN into a
# temporary folder, creates a fresh `dotnet new console` project elsewhere whose nuget.config lists only that folder
# and nuget.org (and whose package cache is empty, so nothing comes from this machine's), adds both packages by id,
# builds a Program.cs that takes a gradient on the scalar tape and runs a Linear layer forward and backward, with
# warnings as errors, runs it and checks what it prints. Exits non-zero on any failure.
#
#   tools/check-packages.sh              packs (building src/ in Release first)
#   tools/check-packages.sh --no-build   packs what `dotnet build -c Release` already built (as .ci/run does)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

pack_args=()
for arg in "$@"; do
  case "$arg" in
    --no-build) pack_args+=(--no-build) ;;
    *) echo "unknown argument '$arg'; usage: tools/check-packages.sh [--no-build]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "packing into $work/feed"
for project in src/Autodiff/Autodiff.csproj src/Autodiff.NN/Autodiff.NN.csproj; do
  dotnet pack "$project" -c Release "${pack_args[@]}" -o "$work/feed" -v:q -nologo
done
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
for id in Wengert.Autodiff Wengert.Autodiff.NN; do
  for ext in nupkg snupkg; do
    [ -f "$work/feed/$id.$version.$ext" ] || { echo "missing $id.$version.$ext"; ls "$work/feed"; exit 1; }
  done
done

# Outside the repository, so that none of its Directory.Build.props, Directory.Packages.props or global.json applies.
app="$work/app"
mkdir -p "$app"
cd "$app"
cat > nuget.config <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
</configuration>
EOF
dotnet new console --framework net10.0 --name StrangerApp --output . >/dev/null
dotnet add package Wengert.Autodiff --version "$version" >/dev/null
dotnet add package Wengert.Autodiff.NN --version "$version" >/dev/null

cat > Program.cs <<'EOF'
using Autodiff;
using Autodiff.NN;

using var tape = new Tape();

// A gradient on the scalar tape: f(x) = x·sin x, so df/dx = sin x + x·cos x.
Scalar x = tape.Variable(0.5, "x");
Scalar f = x * Scalar.Sin(x);
double dfdx = tape.Gradient(f, x);
double closedForm = Math.Sin(0.5) + (0.5 * Math.Cos(0.5));
bool gradientOk = Math.Abs(dfdx - closedForm) <= 1e-15;
Console.WriteLine($"df/dx = {dfdx:R} (closed form {closedForm:R}) {(gradientOk ? "ok" : "FAILED")}");

// A Linear layer on the same tape: forward against x·Wᵀ + b, backward against ∂Σy/∂W[j, k] = Σᵢ x[i, k].
var layer = new Linear(3, 2, seed: 1);
Tensor<float> input = Tensor.FromArray<float>([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
Tensor<float> output = layer.Call(input);
float[] w = layer.Weight.ToArray(), b = layer.Bias!.ToArray(), xs = input.ToArray(), ys = output.ToArray();
double forwardError = 0;
for (int i = 0; i < 2; i++)
{
    for (int j = 0; j < 2; j++)
    {
        double expected = b[j];
        for (int k = 0; k < 3; k++)
        {
            expected += xs[(i * 3) + k] * w[(j * 3) + k];
        }

        forwardError = Math.Max(forwardError, Math.Abs(ys[(i * 2) + j] - expected));
    }
}

output.Sum().Backward();
float[] grad = layer.Weight.Grad!.ToArray();
bool backwardOk = grad.SequenceEqual([5f, 7f, 9f, 5f, 7f, 9f]);
bool forwardOk = forwardError <= 1e-5;
Console.WriteLine($"Linear(3, 2) forward: output [{string.Join(", ", output.Shape.ToArray())}], max |error| {forwardError:E1} {(forwardOk ? "ok" : "FAILED")}");
Console.WriteLine($"Linear(3, 2) backward: weight grad [{string.Join(", ", grad)}] {(backwardOk ? "ok" : "FAILED")}");

bool ok = gradientOk && forwardOk && backwardOk;
Console.WriteLine(ok ? "packages ok" : "packages FAILED");
return ok ? 0 : 1;
EOF

dotnet build -c Release -warnaserror -v:q -nologo
output=$(dotnet run -c Release --no-build)
echo "$output"
grep -qx "packages ok" <<<"$output" || { echo "the installed packages did not give the expected results"; exit 1; }
grep -q '<PackageReference Include="Wengert.Autodiff"' StrangerApp.csproj
echo "Wengert.Autodiff and Wengert.Autodiff.NN $version install from a local feed and work in a fresh console project"
