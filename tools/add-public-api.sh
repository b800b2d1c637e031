#!/usr/bin/env bash
# Adds every symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's PublicAPI.Unshipped.txt.
# Usage: tools/add-public-api.sh src/Autodiff   (then review the diff: the surface is a deliberate change)
set -euo pipefail
project_dir=${1:?project folder}
dotnet build "$project_dir" -c Release 2>&1 \
  | grep -o "error RS0016: Symbol '[^']*'" | sed "s/error RS0016: Symbol '//; s/'$//" | sort -u \
  | while IFS= read -r symbol; do
      grep -qxF "$symbol" "$project_dir/PublicAPI.Unshipped.txt" || echo "$symbol" >> "$project_dir/PublicAPI.Unshipped.txt"
    done
