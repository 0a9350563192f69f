#!/usr/bin/env bash
# Runs the PyTorch peer (../shared/bench/torch_bench.py) and `offramp bench` back to back with the same thread
# count, models and inputs, then prints the ratio of every figure (tools/bench_compare.py).
#
#   tools/bench-vs-torch.sh [--threads N] [--models cnn,vit,dp] [--inputs fm,c10] [--quick] [--out-dir DIR]
#                           [-- extra offramp bench options, e.g. --keep-grads]
#
# The peer runs as ../shared/bench/README.md says: the system interpreter, with OPENBLAS_CORETYPE unset
# (it forces OpenBLAS onto half-speed AVX2 kernels). The machines are shared: compare ratios of back-to-back runs,
# repeat before believing a small difference, and look at the clock-probe column.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
# ../shared/bench relative to the repository; a git worktree (e.g. /work/wt/K) sits deeper, so look further up.
peer="${TORCH_BENCH:-}"
if [[ -z "$peer" ]]; then
  for up in .. ../.. ../../..; do
    if [[ -f "$repo/$up/shared/bench/torch_bench.py" ]]; then
      peer="$(cd "$repo/$up/shared/bench" && pwd)/torch_bench.py"
      break
    fi
  done
fi
threads=1 models=cnn,vit,dp inputs=fm,c10 quick="" outdir="" extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --inputs) inputs="$2"; shift 2 ;;
    --quick) quick="--quick"; shift ;;
    --out-dir) outdir="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n "$peer" && -f "$peer" ]] || { echo "peer script ../shared/bench/torch_bench.py not found (set TORCH_BENCH)" >&2; exit 2; }
outdir="${outdir:-$(mktemp -d /tmp/bench-vs-torch.XXXXXX)}"
mkdir -p "$outdir"
torch_json="$outdir/torch_t$threads.json" off_json="$outdir/offramp_t$threads.json"

if ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  echo "warning: libopenblas0-openmp is not installed; torch falls back to reference BLAS (10-40x slower)" >&2
fi

echo "## PyTorch peer" >&2
env -u OPENBLAS_CORETYPE /usr/bin/python3 "$peer" models --threads "$threads" --models "$models" \
  --inputs "$inputs" $quick --out "$torch_json"

echo "## offramp bench" >&2
dotnet build -c Release "$repo/src/Offramp.Cli" -v quiet -nologo >&2
dotnet "$repo/src/Offramp.Cli/bin/Release/net10.0/Offramp.Cli.dll" bench --threads "$threads" --model "$models" \
  --input "$inputs" $quick --out "$off_json" "${extra[@]}"

echo
/usr/bin/python3 "$repo/tools/bench_compare.py" "$torch_json" "$off_json"
echo "# JSON: $torch_json $off_json" >&2
