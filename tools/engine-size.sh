#!/usr/bin/env bash
# Lines of C# per folder of the engine and the product (tinygrad's sz.py idea): look at it when the engine grows.
# Usage: tools/engine-size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for root in src/Offramp.Engine src/Offramp src/Offramp.Cli; do
  [ -d "$root" ] || continue
  echo "== $root"
  find "$root" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -printf '%h\n' | sort -u | while read -r d; do
    n=$(find "$d" -maxdepth 1 -name '*.cs' -exec cat {} + | grep -cv '^\s*$' || true)
    rel=${d#$root}; printf '%7d  %s\n' "$n" "${rel:-/}"
  done
  printf '%7d  total\n' "$(find "$root" -name '*.cs' -not -path '*/obj/*' -exec cat {} + | grep -cv '^\s*$')"
done
echo "== files over 400 lines"
find src -name '*.cs' -not -path '*/obj/*' -exec wc -l {} + | awk '$2 != "total" && $1 > 400 {print}' | sort -rn
