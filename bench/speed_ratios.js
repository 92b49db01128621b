#!/usr/bin/env node
// Issue 15's acceptance ratios from one run of each Google Benchmark program
// (--benchmark_out JSON with medians of interleaved repetitions): fake quant
// forward + backward against a clone of the same tensor, and the student and QAT
// steps against their FP32 counterparts. Each ratio is given per second of wall time
// and per second of process CPU time: on a quiet machine wall time is the rate a user
// sees; on a loaded one only CPU time is steady, but at two threads it also counts
// the second core while it waits for memory (a memory-bound row that does not speed
// up with a second thread halves its CPU-time rate, a cache-bound clone does not).
//
// The spread column says how far the CPU-time ratio moves with the machine: each
// row's half interquartile range over its repetitions, relative to its median (robust
// to the odd slow repetition, as the median is), combined as for a quotient of
// independent times: ratio x hypot(spread1, spread2). A ratio within its spread of the
// target is not told apart from it by the run. Without repetitions in the JSON (Google
// Benchmark's --benchmark_report_aggregates_only) the spread is not known: "-".
//
// Usage: node bench/speed_ratios.js FAKE_QUANT.json DETECTOR.json
// (bench/speed-ratios runs the programs and then this).
'use strict';
const fs = require('fs');

// Least memory traffic per element of each row (bench/fake_quant_bench.cpp): clone 2 x 4
// bytes, forward + backward 5 x 4. The ratio of GB/s is that of bytes over time.
const FAKE_QUANT_ROWS = [
  { label: 'per tensor', name: 'BM_FakeQuantPerTensor', target: 0.7 },
  { label: 'per channel', name: 'BM_FakeQuantPerChannel', target: 0.5 },
];
const TRAFFIC = { BM_Clone: 2, BM_StreamingCopy: 2, BM_FakeQuantPerTensor: 5, BM_FakeQuantPerChannel: 5 };
const REGIMES = [
  { label: '160 px warm', args: 'n:32/c:64/h:40/w:40', cold: 0 },
  { label: '160 px cold', args: 'n:32/c:64/h:40/w:40', cold: 1 },
  { label: '320 px', args: 'n:32/c:64/h:80/w:80', cold: 0 },
];
const DETECTOR_ROWS = [
  {
    label: 'student with / without fake quant',
    over: (t) => `BM_StudentForwardBackward/batch:32/size:160/fake_quant:1/threads:${t}`,
    under: (t) => `BM_StudentForwardBackward/batch:32/size:160/fake_quant:0/threads:${t}`,
    target: 1.2,
  },
  {
    label: 'QAT step / FP32 step',
    over: (t) => `BM_QatTrainStep/batch:32/size:160/threads:${t}`,
    under: (t) => `BM_Fp32TrainStep/batch:32/size:160/threads:${t}`,
    target: 1.3,
  },
];

// The q-quantile of sorted values, interpolated linearly between ranks.
function quantile(sorted, q) {
  const at = q * (sorted.length - 1), lo = Math.floor(at);
  return lo + 1 < sorted.length ? sorted[lo] + (at - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

// run name (without the time suffix) -> median {wall, cpu} and `spread`: the CPU
// time's half interquartile range over the repetitions, relative to the median (null
// when the file has no repetitions of the row).
function medians(file) {
  const out = new Map(), repetitions = new Map();
  for (const b of JSON.parse(fs.readFileSync(file, 'utf8')).benchmarks) {
    const name = b.run_name.replace(/\/(process_time|real_time)$/, '');
    if (b.aggregate_name === 'median') out.set(name, { wall: b.real_time, cpu: b.cpu_time, spread: null });
    if (b.run_type === 'iteration') repetitions.set(name, [...(repetitions.get(name) || []), b.cpu_time]);
  }
  for (const [name, cpu] of repetitions) {
    const row = out.get(name), sorted = cpu.sort((a, b) => a - b);
    if (row) row.spread = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2 / row.cpu;
  }
  return out;
}

function need(rows, name, file) {
  const r = rows.get(name);
  if (!r) throw new Error(`${file}: no median of ${name} (run with --benchmark_repetitions >= 2)`);
  return r;
}

const pct = (x) => `${Math.round(100 * x)}%`;
const times = (x) => `${x.toFixed(2)}x`;
// The CPU-time ratio a/b's spread (see the banner), a and b as medians() gives them,
// written by `format`; "-" when either row's spread is not known.
const spread = (ratio, a, b, format) =>
  a.spread === null || b.spread === null ? '-' : `±${format(ratio * Math.hypot(a.spread, b.spread))}`;
// Which clocks meet a target: "wall and cpu", one of them, or "neither".
const metBy = (meets) => ['wall', 'cpu'].filter(meets).join(' and ') || 'neither';

function fakeQuantTable(file) {
  const rows = medians(file);
  // The clone's stores go through the cache, and its output block stays there from one
  // iteration to the next; a streaming copy writes memory as the kernels' large outputs
  // do, so the last column is the share of what memory takes (informative, no target).
  console.log('fake quant forward + backward, GB/s as a share of the clone\'s (medians):');
  console.log('row\tthreads\tregime\twall\tcpu\tcpu spread\ttarget\tcpu vs streaming copy');
  for (const row of FAKE_QUANT_ROWS) {
    for (const threads of [1, 2]) {
      for (const g of REGIMES) {
        const suffix = `/${g.args}/threads:${threads}/cold:${g.cold}`;
        const fq = need(rows, row.name + suffix, file), clone = need(rows, 'BM_Clone' + suffix, file);
        const share = (clock, copy = 'BM_Clone') =>
          (TRAFFIC[row.name] / fq[clock]) / (TRAFFIC[copy] / need(rows, copy + suffix, file)[clock]);
        const met = metBy((c) => share(c) >= row.target);
        console.log(`${row.label}\t${threads}\t${g.label}\t${pct(share('wall'))}\t${pct(share('cpu'))}\t` +
                    `${spread(share('cpu'), fq, clone, pct)}\t>= ${pct(row.target)} (${met})\t` +
                    `${pct(share('cpu', 'BM_StreamingCopy'))}`);
      }
    }
  }
}

function detectorTable(file) {
  const rows = medians(file);
  console.log('\ndefault detector, batch 32 at 160 px (medians, ms):');
  console.log('ratio\tthreads\twall\tcpu\tcpu spread\ttarget');
  for (const row of DETECTOR_ROWS) {
    for (const threads of [1, 2]) {
      const a = need(rows, row.over(threads), file), b = need(rows, row.under(threads), file);
      const r = (clock) => a[clock] / b[clock];
      const met = metBy((c) => r(c) <= row.target);
      console.log(`${row.label}\t${threads}\t${times(r('wall'))} (${a.wall.toFixed(0)}/${b.wall.toFixed(0)})\t` +
                  `${times(r('cpu'))} (${a.cpu.toFixed(0)}/${b.cpu.toFixed(0)})\t${spread(r('cpu'), a, b, times)}\t` +
                  `<= ${times(row.target)} (${met})`);
    }
  }
}

if (process.argv.length !== 4) {
  console.error('usage: node bench/speed_ratios.js FAKE_QUANT.json DETECTOR.json');
  process.exit(2);
}
try {
  fakeQuantTable(process.argv[2]);
  detectorTable(process.argv[3]);
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(2);
}
