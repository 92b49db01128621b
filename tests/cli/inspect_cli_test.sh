#!/usr/bin/env bash
# `qat inspect` as a user meets it: the summary of a model, exit codes and messages.
# Usage: inspect_cli_test.sh QAT_BINARY
set -u
qat=$1
source "$(dirname "$0")/cli_test_lib.sh"

expect missing-file 2 "error: $work/none.onnx: cannot read the file" -- "$qat" inspect "$work/none.onnx"
expect directory 2 "error: $work: cannot read the file" -- "$qat" inspect "$work"
printf 'not a model\n' >"$work/junk.onnx"
expect junk 2 "error: $work/junk.onnx: not an ONNX model" -- "$qat" inspect "$work/junk.onnx"
expect no-model 2 "" -- "$qat" inspect

# A hand-encoded ModelProto: ir_version 8; graph "g" with node "r" (Relu x -> y);
# opset_import version 13; metadata k=v.
printf '\x08\x08\x3a\x14\x0a\x0f\x0a\x01x\x12\x01y\x1a\x01r\x22\x04Relu\x12\x01g\x42\x02\x10\x0d\x72\x06\x0a\x01k\x12\x01v' \
  >"$work/relu.onnx"
expect relu 0 "" -- "$qat" inspect "$work/relu.onnx"
expect_stdout relu-opset "opset: 13"
expect_stdout relu-ops "  Relu: 1"
expect_stdout relu-quantized "quantized nodes: 0"
expect_stdout relu-metadata "  k: v"

# --names: the node names a quant.include / quant.exclude pattern matches, as qat imports
# the model. The same Relu with input x [1] and output y [1] declared (the importer needs them).
printf '\x08\x08\x3a\x36\x0a\x0f\x0a\x01x\x12\x01y\x1a\x01r\x22\x04Relu\x12\x01g''\x5a\x0f\x0a\x01x\x12\x0a\x0a\x08\x08\x01\x12\x04\x0a\x02\x08\x01''\x62\x0f\x0a\x01y\x12\x0a\x0a\x08\x08\x01\x12\x04\x0a\x02\x08\x01''\x42\x02\x10\x0d' \
  >"$work/relu_io.onnx"
expect names 0 "" -- "$qat" inspect --names "$work/relu_io.onnx"
expect_stdout names-header "nodes: 1 (0 quantizable)"
expect_stdout names-node "r Relu"
expect names-missing 2 "error: $work/none.onnx: cannot open the file" -- "$qat" inspect --names "$work/none.onnx"

exit $((failures > 0))
