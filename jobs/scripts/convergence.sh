#!/usr/bin/env bash
# Convergence at equal tokens on the bundled Brown corpus: the validation loss of each
# training.distributed.sync scheme against `step`, at each replica count. Not a test; prints a
# table and writes OUT/convergence.json.
#
#   jobs/scripts/convergence.sh OUT [REPLICAS] [SCHEMES] [STEPS] [-- extra train args]
#     REPLICAS  replica counts, default "2 4"
#     SCHEMES   sync schemes as MODE, MODE:H or MODE:H:KEY=VALUE (a training.distributed
#               setting, e.g. diloco:20:outer_momentum=0.5), default "step diloco:20
#               local_sgd:20"; "default" runs the config's own scheme
#     STEPS     optimizer steps per run, default 200 (a multiple of every H)
#
# Every scheme at N replicas runs the same number of optimizer steps with the same batch per
# replica, so all runs at one N see the same tokens. The master is local-cluster[N,1,3072]
# (one executor JVM per replica); set MASTER to override. Example for the headline comparison:
#   jobs/scripts/convergence.sh bench-out/conv "2 4" "step diloco:20 local_sgd:20" 200 \
#     -- --preset mini --set training.batch_size=4
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLI="$ROOT/bin/spark-llm"
OUT="${1:?usage: convergence.sh OUT [REPLICAS] [SCHEMES] [STEPS] [-- extra train args]}"
REPLICAS="${2:-2 4}"
SCHEMES="${3:-step diloco:20 local_sgd:20}"
STEPS="${4:-200}"
shift $(( $# < 4 ? $# : 4 ))
[[ "${1:-}" == "--" ]] && shift
EXTRA=("$@")
[[ ${#EXTRA[@]} -eq 0 ]] && EXTRA=(--preset tiny --set training.batch_size=4)

mkdir -p "$OUT"
if [[ ! -f "$OUT/tokens/manifest.json" ]]; then
  "$CLI" preprocess --input "$ROOT/data/brown/brown.jsonl.gz" --output "$OUT/pre" --overwrite
  "$CLI" train-tokenizer --input "$OUT/pre" --output "$OUT/tok" --vocab-size 8192 --overwrite
  "$CLI" tokenize --input "$OUT/pre" --tokenizer "$OUT/tok" --output "$OUT/tokens" --seq-len 128 \
    --overwrite
fi

echo "[" > "$OUT/convergence.json"
first=1
printf '%-4s %-16s %8s %12s %10s\n' N sync steps val_loss vs_step
for n in $REPLICAS; do
  base=""
  for scheme in $SCHEMES; do
    IFS=: read -r mode every setting <<<"$scheme"
    run="$OUT/run-n$n-${scheme//[:=]/-}"
    args=()
    [[ -n "$setting" ]] && args+=(--set "training.distributed.$setting")
    [[ "$mode" != default ]] && args+=(--set "training.distributed.sync=$mode")
    [[ -n "$every" ]] && args+=(--set "training.distributed.sync_every=$every")
    rm -rf "$run"
    "$CLI" train --data "$OUT/tokens" --output "$run" --replicas "$n" \
      --master "${MASTER:-local-cluster[$n,1,3072]}" "${EXTRA[@]}" \
      --set "training.max_steps=$STEPS" --set "training.eval_interval=$STEPS" \
      --set training.checkpoint_interval=0 ${args[@]+"${args[@]}"} >"$run.log" 2>&1 \
      || { echo "run $run failed; see $run.log" >&2; continue; }
    loss="$(grep -o '"val_loss":[0-9.eE+-]*' "$run/metrics.jsonl" | tail -1 | cut -d: -f2)"
    [[ -z "$base" && ( "$mode" == step || "$mode" == default ) ]] && base="$loss"
    rel="-"
    [[ -n "$base" && -n "$loss" ]] && rel="$(awk -v a="$loss" -v b="$base" 'BEGIN{printf "%+.2f%%", 100*(a-b)/b}')"
    printf '%-4s %-16s %8s %12s %10s\n' "$n" "$scheme" "$STEPS" "$loss" "$rel"
    [[ $first -eq 1 ]] || echo "," >> "$OUT/convergence.json"
    first=0
    printf '{"replicas":%s,"sync":"%s","sync_every":%s,"setting":"%s","steps":%s,"val_loss":%s}' \
      "$n" "$mode" "${every:-null}" "$setting" "$STEPS" "${loss:-null}" >> "$OUT/convergence.json"
  done
done
echo "]" >> "$OUT/convergence.json"
echo "results in $OUT/convergence.json"
