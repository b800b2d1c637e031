#!/usr/bin/env bash
# Regenerates the gallery of README.md: runs each example that draws a chart, each in the mode the gallery's
# captions name (full size: seeds are fixed in the examples, so a rerun draws the same curves up to float sums in
# another thread order), and copies the PNGs it writes to plots/ into docs/images/.
#
#   bash docs/images/regenerate.sh                  all four (about 10 minutes on 2 cores, 9½ of them FashionMnistCnn)
#   bash docs/images/regenerate.sh Digits ...       only the named examples
#   bash docs/images/regenerate.sh CharTransformer  its two charts (not in the default four: about 21 minutes here;
#                                                   needs Debian's fortunes)
#   QUICK=1 bash docs/images/regenerate.sh          every example with --quick (what CI runs; for trying the script)
#
# FashionMnist and FashionMnistCnn need Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
images="$repo/docs/images"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ "$#" -gt 0 ] || set -- GradientDescent Digits FashionMnist FashionMnistCnn
mode=()
[ -z "${QUICK:-}" ] || mode=(--quick)

for name in "$@"; do
  project="$repo/examples/$name/$name.csproj"
  [ -f "$project" ] || { echo "no example named $name" >&2; exit 2; }
  echo "==== $name ${mode[*]}"
  dotnet build "$project" -c Release --nologo -v quiet
  mkdir -p "$work/$name"
  # Each example writes its charts to plots/ under the directory it runs in.
  (cd "$work/$name" && dotnet run -c Release --no-build --project "$project" -- "${mode[@]}")
  for png in "$work/$name"/plots/*.png; do
    cp "$png" "$images/"
    echo "  -> docs/images/$(basename "$png")"
  done
done
