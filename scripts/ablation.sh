#!/usr/bin/env bash
# The paper's ablation on one equal training budget: P2O only / + dense offset loss /
# + JGR (the full model), and 1 vs 2 stacks. Each variant trains on the same synthetic
# samples (seed 0) for the same number of steps, then is scored on the fixed synthetic
# test set. Usage: scripts/ablation.sh [RUN_DIR] [EPOCHS] [STEPS_PER_EPOCH]
set -euo pipefail
runs=${1:-runs/ablation}
epochs=${2:-4}
steps=${3:-250}
hl=${HANDPOSE_LIVE:-.venv/bin/handpose-live}
mkdir -p "$runs"
declare -A flags=(
    [1_p2o_only]="--no-jgr --no-offset-loss"
    [2_p2o_offset_loss]="--no-jgr"
    [3_jgr_p2o_2stacks]=""
    [4_jgr_p2o_1stack]="--stacks 1"
)
for name in $(printf '%s\n' "${!flags[@]}" | sort); do
    # shellcheck disable=SC2086  # the flags are meant to split
    $hl train --out "$runs/$name" --seed 0 --epochs "$epochs" --steps-per-epoch "$steps" \
        --lr 3e-4 --workers 1 --val-count 200 ${flags[$name]}
    $hl eval --model "$runs/$name/last.pt" --out "$runs/$name/test" | tee "$runs/$name/test.txt"
done
echo "variant                      mean mm   ≤20 mm   ≤40 mm"
for name in $(printf '%s\n' "${!flags[@]}" | sort); do
    printf '%-24s %s\n' "$name" "$(grep "^last " "$runs/$name/test.txt" | awk '{print $2, $3, $4}')"
done
