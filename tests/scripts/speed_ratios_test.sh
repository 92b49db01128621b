#!/usr/bin/env bash
# bench/speed_ratios.js on made-up Google Benchmark JSON: a ratio of GB/s is the rows'
# least traffic over their median times (clone 2 x 4 bytes an element, fake quant 5 x 4),
# by wall and by CPU time, with the target met by either or neither, and the CPU ratio's
# spread from both rows' repetitions (ratio x hypot of each half interquartile range over
# its median; "-" for a row without repetitions); a detector ratio is of median times,
# and one at its target meets it; a missing row exits 2 naming it.
# Usage: speed_ratios_test.sh SPEED_RATIOS_JS
set -euo pipefail
script=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# bench NAME... as medians, and the CPU times of repetitions if given
# (NAME=WALL:CPU[:CPU,CPU,...]), in a Google Benchmark JSON file.
bench() {
  node -e '
    const rows = process.argv.slice(1).map((a) => {
      const [name, t] = a.split("="); const [wall, cpu, reps = ""] = t.split(":");
      const row = (run_type, aggregate_name, real_time, cpu_time) =>
        ({ run_name: name + "/process_time", run_type, aggregate_name, real_time, cpu_time });
      return [...reps.split(",").filter(Boolean).map((c) => row("iteration", undefined, 1, Number(c))),
              row("aggregate", "mean", 1, 1), row("aggregate", "median", Number(wall), Number(cpu))];
    });
    console.log(JSON.stringify({ benchmarks: rows.flat() }));' "$@"
}
fq=()
for t in 1 2; do
  for g in 'n:32/c:64/h:40/w:40/threads:T/cold:0' 'n:32/c:64/h:40/w:40/threads:T/cold:1' 'n:32/c:64/h:80/w:80/threads:T/cold:0'; do
    s=/${g/T/$t}
    # per tensor at 2 threads, 160 px warm: wall (5/300)/(2/100) = 83%, CPU (5/700)/(2/200) = 71%;
    # per channel there: wall (5/1000)/(2/100) = 25%, CPU 36%; every other row 100%.
    # CPU spreads there (half the quartiles' distance over the median; quartiles of five
    # at the 2nd and 4th, unsorted here): clone 16/200, fake quant per tensor 42/700, so
    # 71% x hypot(0.08, 0.06) = 7%. Rows without repetitions have no known spread: "-"
    # (per channel there, although the clone has one).
    if [ "$s" = /n:32/c:64/h:40/w:40/threads:2/cold:0 ]; then
      fq+=("BM_Clone$s=100:200:230,184,200,170,216" "BM_StreamingCopy$s=100:250"
           "BM_FakeQuantPerTensor$s=300:700:600,658,900,742,700" "BM_FakeQuantPerChannel$s=1000:1400")
    else
      fq+=("BM_Clone$s=100:100" "BM_StreamingCopy$s=100:100" "BM_FakeQuantPerTensor$s=250:250"
           "BM_FakeQuantPerChannel$s=250:250")
    fi
  done
done
bench "${fq[@]}" >"$dir/fq.json"
det=()
for t in 1 2; do
  # The student's CPU spread: (265.6 - 234.4) / 2 / 260 = 0.06 (the slow 500 is no
  # quartile), (216 - 184) / 2 / 200 = 0.08, so 1.30x x 0.1 = 0.13x.
  det+=("BM_StudentForwardBackward/batch:32/size:160/fake_quant:1/threads:$t=130:260:500,234.4,260,265.6,210"
        "BM_StudentForwardBackward/batch:32/size:160/fake_quant:0/threads:$t=100:200:168,232,184,216,200"
        # The QAT step's repetitions without the FP32 step's: no known spread.
        "BM_QatTrainStep/batch:32/size:160/threads:$t=$((t == 1 ? 125 : 130)):$((t == 1 ? 300 : 260)):250,260,270"
        "BM_Fp32TrainStep/batch:32/size:160/threads:$t=100:200")
done
bench "${det[@]}" >"$dir/det.json"
out=$(node "$script" "$dir/fq.json" "$dir/det.json")
fail() { echo "FAIL: $1"; echo "$out"; exit 1; }
# has WHAT CELL...: the output has the line of these tab-separated cells.
has() {
  local what=$1 line
  shift
  line=$(printf '%s\t' "$@")
  grep -qxF "${line%$'\t'}" <<<"$out" || fail "$what"
}
has "per tensor, 2 threads, warm" "per tensor" 2 "160 px warm" 83% 71% ±7% ">= 70% (wall and cpu)" 89%
has "per channel, 2 threads, warm" "per channel" 2 "160 px warm" 25% 36% - ">= 50% (neither)" 45%
has "per tensor, 1 thread, 320 px" "per tensor" 1 "320 px" 100% 100% - ">= 70% (wall and cpu)" 100%
has "student ratio" "student with / without fake quant" 2 "1.30x (130/100)" "1.30x (260/200)" ±0.13x \
  "<= 1.20x (neither)"
has "QAT step ratio" "QAT step / FP32 step" 1 "1.25x (125/100)" "1.50x (300/200)" - "<= 1.30x (wall)"
has "a ratio at its target meets it" "QAT step / FP32 step" 2 "1.30x (130/100)" "1.30x (260/200)" - \
  "<= 1.30x (wall and cpu)"
[ "$(grep -c '%' <<<"$out")" = 12 ] || fail "12 fake-quant rows"
# A row missing: exit 2 naming it.
bench "${det[@]:1}" >"$dir/short.json"
set +e
err=$(node "$script" "$dir/fq.json" "$dir/short.json" 2>&1 >/dev/null); code=$?
set -e
[ "$code" = 2 ] && [ "$err" = "error: $dir/short.json: no median of BM_StudentForwardBackward/batch:32/size:160/fake_quant:1/threads:1 (run with --benchmark_repetitions >= 2)" ] ||
  { echo "FAIL: missing row: exit $code, $err"; exit 1; }
echo ok
