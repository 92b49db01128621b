#!/usr/bin/env node
// FP32 vs INT8 latency in ONNX Runtime (onnxruntime-node from node_modules), for
// issue 15's deployment target. Every model gets one session (level 'all', fixed
// intra-op threads, sequential, no spinning); per batch the models run interleaved,
// run by run, and the median of N runs (wall and process CPU time) is reported with
// each INT8 model's speedup over FP32.
//
// Usage: node bench/ort_latency.js FP32.onnx NAME=INT8.onnx [NAME=INT8.onnx ...]
//          [--runs 50] [--warmup 5] [--threads 2] [--batches 1,32] [--size 160] [--input images]
// bench/ort-latency-models makes a seeded model pair of the default detector (both
// profiles) and runs this script on it.
'use strict';
const ort = require('onnxruntime-node');
const { timeSessions } = require('../scripts/ort_run.js');

function parse(argv) {
  const o = { runs: 50, warmup: 5, threads: 2, batches: [1, 32], size: 160, input: 'images', models: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--warmup') o.warmup = Number(argv[++i]);
    else if (a === '--threads') o.threads = Number(argv[++i]);
    else if (a === '--batches') o.batches = argv[++i].split(',').map(Number);
    else if (a === '--size') o.size = Number(argv[++i]);
    else if (a === '--input') o.input = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (o.models.length === 0) o.models.push({ name: 'fp32', path: a });
    else {
      const eq = a.indexOf('=');
      o.models.push(eq > 0 ? { name: a.slice(0, eq), path: a.slice(eq + 1) } : { name: a, path: a });
    }
  }
  if (o.models.length < 2) throw new Error('usage: ort_latency.js FP32.onnx NAME=INT8.onnx [...] [--runs N]');
  return o;
}

// Deterministic pixels in [0, 1] (latency barely depends on them).
function images(batch, size) {
  const data = new Float32Array(batch * 3 * size * size);
  let s = 12345;
  for (let i = 0; i < data.length; ++i) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 8) / 16777216;
  }
  return new ort.Tensor('float32', data, [batch, 3, size, size]);
}

async function main() {
  const o = parse(process.argv.slice(2));
  const options = { graphOptimizationLevel: 'all', intraOpNumThreads: o.threads, interOpNumThreads: 1,
                    executionMode: 'sequential',
                    // No spinning: an idle session's spinning threads would slow the next model's run.
                    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } };
  const sessions = [];
  for (const m of o.models) sessions.push(await ort.InferenceSession.create(m.path, options));
  console.log(`onnxruntime ${ort.env.versions.node}, level all, ${o.threads} threads, ` +
              `median of ${o.runs} interleaved runs (${o.warmup} warm-up), ${o.size} px`);
  // Wall time, then process CPU time (all threads): on a loaded machine the wall figure
  // depends on what else runs, the CPU figure much less.
  const others = o.models.slice(1);
  console.log(['batch', 'clock', ...o.models.map((m) => `${m.name} ms`), ...others.map((m) => `fp32/${m.name}`)]
    .join('\t'));
  for (const batch of o.batches) {
    const t = await timeSessions(sessions, { [o.input]: images(batch, o.size) }, o.runs, o.warmup);
    for (const [clock, ms] of [['wall', t.wall], ['cpu', t.cpu]]) {
      const ratios = ms.slice(1).map((x) => (ms[0] / x).toFixed(2) + 'x');
      console.log([batch, clock, ...ms.map((x) => x.toFixed(2)), ...ratios].join('\t'));
    }
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.message ? e.message : e) + '\n');
  process.exit(1);
});
