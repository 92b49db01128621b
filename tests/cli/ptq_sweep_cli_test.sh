#!/usr/bin/env bash
# `qat ptq` and `qat sweep` as a user meets them, on a tiny region (backbone.0-2:
# 6 quantizable convs, 12 quantizers) of a 1-epoch FP32 model: before the FP32 phase both refuse
# (exit 2); after it PTQ writes its report, the block sweep picks the widest passing
# region, and under an impossible gate the layer sweep exits 3 choosing none.
# Usage: ptq_sweep_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"

# expect_json NAME FILE EXPR EXPECTED: the JavaScript EXPR over the JSON document `r`
# in FILE prints EXPECTED.
expect_json() {
  local got
  got=$(node -e 'const r = require(process.argv[1]); console.log(eval(process.argv[2]))' "$2" "$3" 2>&1)
  if [ "$got" = "$4" ]; then echo "ok $1"; else echo "FAIL $1: $3 is '$got', expected '$4'"; failures=$((failures + 1)); fi
}

tiny_scenes "$work/d.h5" || exit 1
printf 'min_recall: 0.0\nmin_precision_agreement: 0.0\nmin_median_iou: 0.0\nmax_confidence_mae: 1.0\n' >"$work/lenient.yaml"
printf 'min_recall: 1.0\nmin_precision_agreement: 1.0\nmin_median_iou: 1.0\nmax_confidence_mae: 0.0\n' >"$work/strict.yaml"
cat >"$work/s.yaml" <<EOF
name: s
seed: 0
output_dir: $work/runs
data: {path: $work/d.h5, image_size: 64, batch_size: 6}
model: {arch: $root/configs/arch/yolo-nano.yaml}
fp32: {epochs: 1}
eval: {score_threshold: 0.01}
quant:
  calibration_images: 12
  include: ["backbone.[0-2]"]
  exclude: []
qat: {gate: $work/lenient.yaml}
EOF
run=$work/runs/s
refusal="error: $run/fp32/best.h5: no FP32 checkpoint here; run \`qat train $work/s.yaml --phase fp32\` first or pass --weights"
expect ptq-before-fp32 2 "$refusal" -- "$qat" -q ptq "$work/s.yaml"
expect sweep-before-fp32 2 "$refusal" -- "$qat" -q sweep "$work/s.yaml"
expect ptq-missing-weights 2 "error: $work/none.h5: no FP32 checkpoint here; run \`qat train $work/s.yaml --phase fp32\` first or pass --weights" -- \
  "$qat" -q ptq "$work/s.yaml" --weights "$work/none.h5"
[ -e "$run/ptq/report.json" ] && { echo "FAIL refused ptq wrote a report"; failures=$((failures + 1)); }

"$qat" -q train "$work/s.yaml" --phase fp32 || exit 1

expect ptq 0 "info calibrated 12 quantizers on 12 images (random)" -- "$qat" ptq "$work/s.yaml"
expect_json ptq-images "$run/ptq/report.json" 'r.calibration_images' 12
expect_json ptq-weights "$run/ptq/report.json" 'r.weights' "$run/fp32/best.h5"
expect_json ptq-threshold "$run/ptq/report.json" 'r.score_threshold' 0.01
# The teacher finds objects at 0.01, and the behaviour counts are consistent.
expect_json ptq-teacher-detects "$run/ptq/report.json" 'r.behaviour.teacher_count > 0' true
expect_json ptq-recall "$run/ptq/report.json" \
  'Math.abs(r.behaviour.recall - r.behaviour.matched / r.behaviour.teacher_count) < 1e-12' true
expect_json ptq-per-class "$run/ptq/report.json" \
  'r.behaviour.teacher_per_class.reduce((a, b) => a + b, 0) === r.behaviour.teacher_count' true

expect sweep-blocks 0 "info sweep: widest passing region 'backbone.0 .. backbone.2' (6 quantized ops)" -- \
  "$qat" sweep "$work/s.yaml"
expect_json sweep-blocks-mode "$run/sweep/report.json" 'r.mode' blocks
expect_json sweep-blocks-rows "$run/sweep/report.json" 'r.rows.map(x => x.region + ":" + x.quantized_ops).join(",")' \
  "backbone.0:1,backbone.0 .. backbone.1:2,backbone.0 .. backbone.2:6"
expect_json sweep-blocks-chosen "$run/sweep/report.json" 'r.chosen.region' "backbone.0 .. backbone.2"
expect_json sweep-blocks-ptq "$run/sweep/report.json" 'r.qat_epochs' 0

expect sweep-layers-none 3 "warning sweep: no region passes the gate $work/strict.yaml" -- \
  "$qat" sweep "$work/s.yaml" --mode layers --set "qat.gate=$work/strict.yaml"
expect_json sweep-layers-rows "$run/sweep/report.json" 'r.rows.map(x => x.region).join(",")' \
  "backbone.0.conv,backbone.1.conv,backbone.2.cv1.conv,backbone.2.m.0.cv1.conv,backbone.2.m.0.cv2.conv,backbone.2.cv2.conv"
expect_json sweep-layers-chosen "$run/sweep/report.json" 'r.chosen' null
expect_json sweep-layers-gate "$run/sweep/report.json" 'r.gate' "$work/strict.yaml"
expect sweep-bad-mode 2 "" -- "$qat" -q sweep "$work/s.yaml" --mode widest

exit $((failures > 0))
