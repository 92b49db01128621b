#!/usr/bin/env bash
# scripts/nightly as the nightly job meets it: a published candidate with all its
# artifacts, an idempotent re-run, and a clear non-zero refusal with nothing published.
# Usage: nightly_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

"$qat" -q data fmnist-scenes --images 24 --size 64 --scale-max 2 --max-objects 2 --out "$work/d.h5" || exit 1
printf 'min_recall: 0\nmin_precision_agreement: 0\nmin_median_iou: 0\nmax_confidence_mae: 1\n' >"$work/lenient.yaml"
printf 'min_median_iou: 1\nmax_confidence_mae: 0\n' >"$work/strict.yaml"
recipe() {  # recipe NAME GATE
  printf 'name: %s\ndata:\n  path: %s\n  image_size: 64\n  batch_size: 6\nmodel:\n  arch: %s\n' \
    "$1" "$work/d.h5" "$root/configs/arch/yolo-nano.yaml" >"$work/$1.yaml"
  printf 'fp32:\n  epochs: 1\neval:\n  score_threshold: 0.05\nquant:\n  calibration_images: 12\n' >>"$work/$1.yaml"
  printf 'qat:\n  epochs: 1\n  threshold_search: {lo: 0.05, hi: 0.05}\n  gate: %s\n' "$work/$2" >>"$work/$1.yaml"
}
recipe pass lenient.yaml
recipe refuse strict.yaml
export QAT_BIN=$qat QAT_DATE=2026-01-02 QAT_CANDIDATES=$work/candidates QAT_NIGHTLY_RUNS=$work/runs
id="2026-01-02-$(git -C "$root" rev-parse --short=10 HEAD 2>/dev/null || echo nogit)"

"$root/scripts/nightly" "$work/pass.yaml" >"$work/out" 2>&1
code=$?
dir="$work/candidates/$id"
if [ $code -ne 0 ]; then
  fail "publish: exit $code"; tail -5 "$work/out"
else
  for f in model.int8.onnx model.int8.threshold.json report.json metrics.csv report.html report.svg model.fp32.onnx \
           summary.json summary.md; do
    [ -s "$dir/$f" ] || fail "publish: $f missing"
  done
  "$qat" -q threshold verify "$dir/model.int8.onnx" "$dir/model.int8.threshold.json" --threshold 0.05 ||
    fail "publish: the manifest does not verify"
  grep -qF "operating threshold: 0.05 (teacher: 0.05)" "$dir/summary.md" || fail "publish: summary.md"
  grep -qxF "![behaviour per epoch](report.svg)" "$dir/summary.md" || fail "publish: summary.md has no chart"
  xmllint --noout --nonet "$dir/report.svg" "$dir/report.html" || fail "publish: report.svg or report.html is not XML"
  [ -z "$(ls -A "$work/candidates" | grep staging)" ] || fail "publish: staging left behind"
  echo "ok publish"
fi

"$root/scripts/nightly" "$work/pass.yaml" >"$work/out" 2>&1
code=$?
if [ $code -eq 0 ] && grep -qxF "nightly: candidate $dir is already published" "$work/out"; then
  echo "ok rerun-is-idempotent"
else
  fail "rerun: exit $code"; tail -3 "$work/out"
fi

rm -rf "$work/candidates"
"$root/scripts/nightly" "$work/refuse.yaml" >"$work/out" 2>&1
code=$?
if [ $code -eq 3 ] &&
   grep -qxF "nightly: no candidate for $id: no epoch passed the gate $work/strict.yaml: the teacher detects nothing at threshold 0.05 on split 'val', so the gate has no detections to compare the student with (lower eval.score_threshold, or use a trained model) (run: $work/runs/$id/refuse)" "$work/out" &&
   [ ! -e "$work/candidates/$id" ]; then
  echo "ok refusal"
else
  fail "refusal: exit $code"; tail -3 "$work/out"
fi

echo "$((3 - failures)) passed, $failures failed"
exit $((failures > 0))
