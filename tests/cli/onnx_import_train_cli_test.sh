#!/usr/bin/env bash
# `qat train` on an imported ONNX detector (model: {onnx, head}): the native nano
# detector's FP32 export is the teacher; the run publishes a Q/DQ candidate that
# keeps the imported graph's node names, whose manifest verifies and whose QAT
# checkpoint reproduces it (qat provenance).
# Usage: onnx_import_train_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"

tiny_scenes "$work/d.h5" || exit 1
data="data:\n  path: $work/d.h5\n  image_size: 64\n  batch_size: 6\n"
printf "name: native\noutput_dir: $work/runs\n$data" >"$work/native.yaml"
printf 'model:\n  arch: %s\nfp32:\n  epochs: 1\n' "$root/configs/arch/yolo-nano.yaml" >>"$work/native.yaml"
"$qat" -q train "$work/native.yaml" --phase fp32 || exit 1

printf 'min_recall: 0\nmin_precision_agreement: 0\nmin_median_iou: 0\nmax_confidence_mae: 1\n' >"$work/lenient.yaml"
printf "name: imported\noutput_dir: $work/runs\n$data" >"$work/imported.yaml"
cat >>"$work/imported.yaml" <<YAML
model:
  onnx: $work/runs/native/fp32/model.fp32.onnx
  head: {logits: logits, anchor_points: head.anchor_points, anchor_strides: head.anchor_strides}
eval:
  score_threshold: 0.05
qat:
  threshold_search: {lo: 0.05, hi: 0.05}
  gate: $work/lenient.yaml
YAML
run=$work/runs/imported
expect train 0 "" -- "$qat" -q train "$work/imported.yaml" --smoke --set quant.calibration_images=12
expect inspect 0 "" -- "$qat" inspect "$run/model.int8.onnx"
# The imported graph's node names, kept by the Q/DQ export.
for node in backbone.0.conv backbone.4.cv1.conv backbone.4.m.0.cv2.conv neck.2.cv1.conv head.0.stem.conv head.2.box.0.conv; do
  expect_stdout "keeps-$node" "  $node"
done
expect manifest 0 "" -- "$qat" -q threshold verify "$run/model.int8.onnx" "$run/model.int8.threshold.json"
expect provenance 0 "" -- "$qat" -q provenance "$run/qat/best.h5" "$run/model.int8.onnx"
expect_stdout provenance-verdict "provenance: match"

exit $((failures > 0))
