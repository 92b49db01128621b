#!/usr/bin/env bash
# `qat eval` on real exports (tests/data/models) in ONNX Runtime: mAP and per-class
# recall printed and written as JSON; against a teacher the behaviour-gate figures
# (a model against itself: recall 1, nothing missed); the head layout is found from
# the outputs (ultralytics' one output, FCOS's boxes and scores); bad input exits 2;
# the committed (trained) models detect objects at the deployed threshold 0.70.
# `qat recipe check` of an imported model checks taps, patterns and head values
# against the graph with the closest names suggested.
# Usage: eval_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"
models=$root/tests/data/models
gate=$root/configs/gates/default.yaml

tiny_scenes "$work/d.h5" || exit 1

expect yolo 0 "" -- "$qat" -q eval "$models/yolov8-tiny-op13-static.onnx" --data "$work/d.h5" --split val \
  --threshold 0.05 --out "$work/yolo.json"
expect_stdout yolo-header "$models/yolov8-tiny-op13-static.onnx on val (5 images)"
grep -q '"images": 5,' "$work/yolo.json" && echo "ok yolo-json" || { echo "FAIL yolo-json"; cat "$work/yolo.json"; failures=$((failures + 1)); }

# Against itself, at a threshold low enough to keep every box NMS leaves (not only the
# trained model's confident ones).
yolo=$models/yolov8-tiny-op13-static.onnx
expect yolo-vs-itself 0 "" -- "$qat" -q eval "$yolo" --data "$work/d.h5" --threshold 0.001 --teacher "$yolo" \
  --gate "$gate" --out "$work/self.json"
expect_stdout yolo-behaviour \
  "vs teacher: recall 1.0000, precision agreement 1.0000, median IoU 1.0000, confidence MAE 0.0000 -> passed"
grep -q '"passed": true' "$work/self.json" && echo "ok self-json" || { echo "FAIL self-json"; failures=$((failures + 1)); }

# A dynamic-batch export against the static one: the same detections (142 at 0.001 on
# these 5 images with the committed weights).
expect dynamic-vs-static 0 "" -- "$qat" -q eval "$models/yolov8-tiny-op17-dynamic.onnx" --data "$work/d.h5" \
  --threshold 0.001 --teacher "$yolo" --gate "$gate"
expect_stdout dynamic-misses "missed 0 of 142 teacher detections: 0 below threshold, 0 wrong class, 0 box, 0 absent"

# FCOS's boxes and scores outputs, found without a layout.
fcos=$models/fcos-tiny-gn-op13-static.onnx
expect fcos 0 "" -- "$qat" -q eval "$fcos" --data "$work/d.h5" --threshold 0.05
expect_stdout fcos-header "$fcos on val (5 images)"

# The committed models are trained detectors (scripts/make-test-models): at the deployed
# threshold (the default 0.70) both find objects of these scenes.
expect yolo-trained 0 "" -- "$qat" -q eval "$yolo" --data "$work/d.h5"
expect_stdout yolo-detects "model: mAP@0.5 0.8000, recall at 0.7 0.3000 (T-shirt/top 0.0000, Trouser 0.5000, Pullover 0.0000, Dress -, Coat 0.0000, Sandal -, Shirt -, Sneaker -, Bag 1.0000, Ankle boot -)"
expect fcos-trained 0 "" -- "$qat" -q eval "$fcos" --data "$work/d.h5"
expect_stdout fcos-detects "model: mAP@0.5 0.9333, recall at 0.7 0.4000 (T-shirt/top 0.0000, Trouser 1.0000, Pullover 0.0000, Dress -, Coat 0.0000, Sandal -, Shirt -, Sneaker -, Bag 1.0000, Ankle boot -)"

# An imported model exports at its own opset; a lower export.opset that changes an
# op's meaning (Reshape's allowzero, from 14) is refused by `qat recipe check`.
op17=$models/yolov8-tiny-op17-static.onnx
printf 'data:\n  path: %s\n  image_size: 64\nmodel:\n  onnx: %s\n  head: {layout: ultralytics}\n' "$work/d.h5" "$op17" \
  >"$work/op17.yaml"
expect op17-own-opset 0 "" -- "$qat" -q recipe check "$work/op17.yaml"
expect op17-at-13 2 "error: export.opset 13: node '/model.22/Reshape' is a Reshape with attribute 'allowzero', which \
ONNX defines from opset 14 (the model is opset 17); set export.opset to 14 or higher" \
  -- "$qat" -q recipe check "$work/op17.yaml" --set export.opset=13

# A teacher without detections at the threshold: the gate line says so.
expect nothing-at-threshold 0 "" -- "$qat" -q eval "$yolo" --data "$work/d.h5" --threshold 0.9999 --teacher "$yolo" \
  --gate "$gate"
expect_stdout nothing-at-threshold-line "vs teacher: recall 1.0000, precision agreement 1.0000, median IoU 0.0000, \
confidence MAE 0.0000 -> the teacher detects nothing at threshold 0.9999 on split 'val', so the gate has no \
detections to compare the student with (lower --threshold, or use a trained model)"

expect no-data 2 "error: qat eval: give --data (or --recipe)" -- "$qat" -q eval "$fcos"
expect bad-split 2 "" -- "$qat" -q eval "$fcos" --data "$work/d.h5" --split nope
expect missing-model 2 "" -- "$qat" -q eval "$work/none.onnx" --data "$work/d.h5"

exit $((failures > 0))
