#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (onnxruntime-node) for qat's runtime checks.
// Usage: ort_run.js --version | ort_run.js DIR, where DIR/request.json is
//   {"model": PATH, "inputs": [{"name", "dtype", "shape", "file"}],
//    "optimization": "disabled"|"basic"|"extended"|"all", "optimized_model": PATH?}
// Writes DIR/response.json {"outputs": [{"name", "dtype", "shape", "file"}]} and
// the raw little-endian output files; exits 1 with the reason on stderr on failure.
// With "latency": {"models": [PATH...], "runs": N, "warmup": W, "threads": T} it
// instead times every model on the inputs (interleaved repeats, median of N, one
// session per model at T intra-op threads) and writes {"latency_ms": [median wall...],
// "cpu_ms": [median process CPU...]}.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const ARRAYS = {
  float32: Float32Array, int64: BigInt64Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array,
};

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Median milliseconds of session.run per session, the sessions interleaved run by run so
// that a load change on a shared machine hits every model alike: wall time, and the
// process's CPU time (user + system over all threads; with spinning off, the work done,
// which other jobs on the machine barely change).
async function timeSessions(sessions, feeds, runs, warmup) {
  for (let i = 0; i < warmup; ++i) {
    for (const s of sessions) await s.run(feeds);
  }
  const wall = sessions.map(() => []);
  const cpu = sessions.map(() => []);
  for (let r = 0; r < runs; ++r) {
    for (let i = 0; i < sessions.length; ++i) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await sessions[i].run(feeds);
      wall[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
      const c = process.cpuUsage(c0);
      cpu[i].push((c.user + c.system) / 1e3);
    }
  }
  return { wall: wall.map(median), cpu: cpu.map(median) };
}

async function latency(dir, request, feeds) {
  const l = request.latency;
  const options = { graphOptimizationLevel: request.optimization || 'all', intraOpNumThreads: l.threads || 1,
                    interOpNumThreads: 1, executionMode: 'sequential',
                    // No spinning: an idle session's spinning threads would slow the next model's run.
                    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } };
  const sessions = [];
  for (const m of l.models) sessions.push(await ort.InferenceSession.create(m, options));
  const t = await timeSessions(sessions, feeds, l.runs || 20, l.warmup === undefined ? 3 : l.warmup);
  fs.writeFileSync(path.join(dir, 'response.json'), JSON.stringify({ latency_ms: t.wall, cpu_ms: t.cpu }));
}

async function main() {
  if (process.argv[2] === '--version') {
    process.stdout.write(ort.env.versions.node);
    return;
  }
  const dir = process.argv[2];
  const request = JSON.parse(fs.readFileSync(path.join(dir, 'request.json'), 'utf8'));
  const feeds = {};
  for (const input of request.inputs) {
    const bytes = fs.readFileSync(path.join(dir, input.file));
    const Array = ARRAYS[input.dtype];
    const data = new Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / Array.BYTES_PER_ELEMENT);
    feeds[input.name] = new ort.Tensor(input.dtype, data, input.shape);
  }
  if (request.latency) return latency(dir, request, feeds);
  const options = { graphOptimizationLevel: request.optimization || 'all', intraOpNumThreads: 1 };
  if (request.optimized_model) options.optimizedModelFilePath = request.optimized_model;
  const session = await ort.InferenceSession.create(request.model, options);
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

module.exports = { timeSessions, median };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(String(e && e.message ? e.message : e) + '\n');
    process.exit(1);
  });
}
