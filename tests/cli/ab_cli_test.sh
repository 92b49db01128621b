#!/usr/bin/env bash
# scripts/ab after `qat train` on the fingerprint's tiny seeded recipe (120 scenes of 64 px,
# 2 FP32 epochs, 1 QAT epoch, 2 threads): ab.md has the four rows, ab.json is report["ab"],
# the PTQ row with the recipe's own calibration has the figures of the run's PTQ epoch,
# and nothing the run published changes but report.json's new "ab".
# Usage: ab_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"

# expect_js NAME EXPR EXPECTED: the JavaScript EXPR (over `run`, `ab` and `report`) prints EXPECTED.
expect_js() {
  local got
  got=$(node -e 'const fs = require("fs"); const run = process.argv[1];
    const ab = JSON.parse(fs.readFileSync(run + "/ab.json")); const report = JSON.parse(fs.readFileSync(run + "/report.json"));
    console.log(eval(process.argv[2]))' "$run" "$1" 2>&1)
  if [ "$got" = "$2" ]; then echo "ok $3"; else echo "FAIL $3: $1 is '$got', expected '$2'"; failures=$((failures + 1)); fi
}

fingerprint_data
tiny_recipe tiny 8 "{calibration_images: 16}"
run=$work/runs/tiny
expect ab-before-train 2 "scripts/ab: $run has no report.json and fp32/best.h5; run \`qat train $work/tiny.yaml\` first" -- \
  "$root/scripts/ab" "$work/tiny.yaml" "$qat"
"$qat" -q --threads 2 train "$work/tiny.yaml" || exit 1
published() { (cd "$run" && sha256sum model.int8.onnx model.int8.threshold.json metrics.csv report.html report.svg \
  fp32/best.h5 qat/best.h5); }
published >"$work/published.before"
cp "$run/report.json" "$work/report.before.json"

export QAT_FLAGS="--threads 2"
expect ab 0 "" -- "$root/scripts/ab" "$work/tiny.yaml" "$qat"
expect_stdout ab-says "wrote $run/ab.md, $run/ab.json and report.json[\"ab\"]"

# ab.md: a header, the separator and four rows, in order.
rows=$(grep -c '^| ' "$run/ab.md")
[ "$rows" = 6 ] && echo "ok ab-md-lines" || { echo "FAIL ab-md-lines: $rows table lines"; failures=$((failures + 1)); }
got=$(grep '^| ' "$run/ab.md" | tail -n 4 | cut -d'|' -f2 | sed 's/ *$//;s/^ *//' | paste -sd,)
# This run keeps PTQ (qat.selected "ptq"), so the QAT row is its last (only) epoch, labelled so.
want="ptq,ptq class_balanced,ptq minmax,qat epoch 1 (ptq selected)"
[ "$got" = "$want" ] && echo "ok ab-md-rows" || { echo "FAIL ab-md-rows: '$got', expected '$want'"; failures=$((failures + 1)); }
head -n 6 "$run/ab.md" | grep -q '^| row | sampling | observer | recall | precision_agreement | median_iou | confidence_mae | recall\[' &&
  echo "ok ab-md-columns" || { echo "FAIL ab-md-columns"; head -n 6 "$run/ab.md"; failures=$((failures + 1)); }

expect_js 'JSON.stringify(report.ab) === JSON.stringify(ab)' true ab-json-is-report-ab
expect_js 'ab.rows.map(r => r.sampling + "/" + r.observer).join(",")' \
  "random/percentile,class_balanced/percentile,random/minmax,random/percentile" ab-settings
# The PTQ row with the recipe's calibration: the run's PTQ epoch, figure for figure.
expect_js 'const p = report.qat.epochs[0], b = p.at_teacher_threshold, r = ab.rows[0];
  const want = {recall: b.recall, precision_agreement: b.precision_agreement, median_iou: b.median_iou,
    confidence_mae: b.confidence_mae, threshold: p.threshold};
  b.teacher_per_class.forEach((n, c) => { if (n > 0) want["recall[" + report.data.classes[c] + "]"] = b.recall_per_class[c]; });
  Object.keys(want).length > 5 && Object.keys(want).every(k => r[k] === want[k]) ? "same" : JSON.stringify([want, r])' \
  same ab-ptq-is-run-ptq
expect_js report.qat.selected ptq run-keeps-ptq
expect_js 'const e = report.qat.epochs[1].at_teacher_threshold, r = ab.rows[3];
  [r.recall === e.recall, r.median_iou === e.median_iou, r.confidence_mae === e.confidence_mae,
   r.threshold === report.qat.epochs[1].threshold, r.seconds === report.timings.calibrate_s + report.timings.qat_s].join()' \
  true,true,true,true,true ab-qat-is-selected
expect_js 'ab.rows.every(r => r.threshold === 0.01 && r.seconds > 0)' true ab-thresholds-seconds
expect_js 'delete report.ab; JSON.stringify(report) === JSON.stringify(JSON.parse(fs.readFileSync(run + "/../../report.before.json")))' \
  true report-otherwise-unchanged
published | cmp -s - "$work/published.before" && echo "ok published-unchanged" ||
  { echo "FAIL published files changed"; failures=$((failures + 1)); }
[ -e "$run/ptq" ] && { echo "FAIL ab wrote the run's ptq/"; failures=$((failures + 1)); }

exit $((failures > 0))
