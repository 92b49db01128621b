#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (onnxruntime-node) for qat's runtime checks.
// Usage: ort_run.js --version | ort_run.js DIR, where DIR/request.json is
//   {"model": PATH, "inputs": [{"name", "dtype", "shape", "file"}],
//    "optimization": "disabled"|"basic"|"extended"|"all", "optimized_model": PATH?}
// Writes DIR/response.json {"outputs": [{"name", "dtype", "shape", "file"}]} and
// the raw little-endian output files; exits 1 with the reason on stderr on failure.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const ARRAYS = {
  float32: Float32Array, int64: BigInt64Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array,
};

async function main() {
  if (process.argv[2] === '--version') {
    process.stdout.write(ort.env.versions.node);
    return;
  }
  const dir = process.argv[2];
  const request = JSON.parse(fs.readFileSync(path.join(dir, 'request.json'), 'utf8'));
  const options = { graphOptimizationLevel: request.optimization || 'all', intraOpNumThreads: 1 };
  if (request.optimized_model) options.optimizedModelFilePath = request.optimized_model;
  const session = await ort.InferenceSession.create(request.model, options);
  const feeds = {};
  for (const input of request.inputs) {
    const bytes = fs.readFileSync(path.join(dir, input.file));
    const Array = ARRAYS[input.dtype];
    const data = new Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / Array.BYTES_PER_ELEMENT);
    feeds[input.name] = new ort.Tensor(input.dtype, data, input.shape);
  }
  const results = await session.run(feeds);
  const outputs = [];
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    const file = `output${i}.bin`;
    fs.writeFileSync(path.join(dir, file), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    outputs.push({ name, dtype: t.type, shape: t.dims.map(Number), file });
  });
  fs.writeFileSync(path.join(dir, 'response.json'), JSON.stringify({ outputs }));
}

main().catch((e) => {
  process.stderr.write(String(e && e.message ? e.message : e) + '\n');
  process.exit(1);
});
