#!/usr/bin/env bash
# `qat provenance` as a user meets it: a run's FP32 checkpoint matches its own
# model (exit 0) and not another run's (exit 4); missing or malformed files exit 2.
# Usage: provenance_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"

tiny_scenes "$work/d.h5" || exit 1
for seed in 0 1; do
  printf 'name: s%s\nseed: %s\noutput_dir: %s\ndata:\n  path: %s\n  image_size: 64\n  batch_size: 6\n' \
    "$seed" "$seed" "$work/runs" "$work/d.h5" >"$work/s$seed.yaml"
  printf 'model:\n  arch: %s\nfp32:\n  epochs: 1\n' "$root/configs/arch/yolo-nano.yaml" >>"$work/s$seed.yaml"
  "$qat" -q train "$work/s$seed.yaml" --phase fp32 || exit 1
done
a=$work/runs/s0/fp32
b=$work/runs/s1/fp32

expect match 0 "" -- "$qat" -q provenance "$a/best.h5" "$a/model.fp32.onnx"
expect_stdout match-verdict "provenance: match"
expect_stdout match-inputs "inputs: 8 random images (seed 0)"
expect_stdout match-runtime "ONNX Runtime optimization: all"
expect unoptimized 0 "" -- "$qat" -q provenance "$a/best.h5" "$a/model.fp32.onnx" --runtime-optimization disabled
expect_stdout unoptimized-runtime "ONNX Runtime optimization: disabled"
expect bad-optimization 2 "--runtime-optimization: fastest not in {disabled,basic,extended,all}" -- \
  "$qat" -q provenance "$a/best.h5" "$a/model.fp32.onnx" --runtime-optimization fastest
expect match-val-images 0 "" -- "$qat" -q provenance "$a/best.h5" "$a/model.fp32.onnx" --recipe "$work/s0.yaml" --samples 3
expect_stdout match-val-inputs "inputs: 3 images of $work/d.h5 split 'val'"
expect other-run 4 "" -- "$qat" -q provenance "$a/best.h5" "$b/model.fp32.onnx"
expect_stdout other-run-verdict "provenance: MISMATCH"
expect missing-checkpoint 2 "error: $work/none.h5: cannot read the file" -- \
  "$qat" -q provenance "$work/none.h5" "$a/model.fp32.onnx"
printf 'not a model\n' >"$work/junk.onnx"
expect junk-model 2 "error: $work/junk.onnx: not an ONNX model" -- "$qat" -q provenance "$a/best.h5" "$work/junk.onnx"
expect no-arguments 2 "" -- "$qat" provenance

exit $((failures > 0))
