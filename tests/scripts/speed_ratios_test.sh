#!/usr/bin/env bash
# bench/speed_ratios.js on made-up Google Benchmark JSON: a ratio of GB/s is the rows'
# least traffic over their median times (clone 2 x 4 bytes an element, fake quant 5 x 4),
# by wall and by CPU time, with the target met by either or neither; a detector ratio is
# of median times, and one at its target meets it; a missing row exits 2 naming it.
# Usage: speed_ratios_test.sh SPEED_RATIOS_JS
set -euo pipefail
script=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# bench NAME... as medians (NAME=WALL:CPU) in a Google Benchmark JSON file.
bench() {
  node -e '
    const rows = process.argv.slice(1).map((a) => {
      const [name, t] = a.split("="); const [wall, cpu] = t.split(":").map(Number);
      return [{ run_name: name + "/process_time", aggregate_name: "mean", real_time: 1, cpu_time: 1 },
              { run_name: name + "/process_time", aggregate_name: "median", real_time: wall, cpu_time: cpu }];
    });
    console.log(JSON.stringify({ benchmarks: rows.flat() }));' "$@"
}
fq=()
for t in 1 2; do
  for g in 'n:32/c:64/h:40/w:40/threads:T/cold:0' 'n:32/c:64/h:40/w:40/threads:T/cold:1' 'n:32/c:64/h:80/w:80/threads:T/cold:0'; do
    s=/${g/T/$t}
    # per tensor at 2 threads, 160 px warm: wall (5/300)/(2/100) = 83%, CPU (5/700)/(2/200) = 71%;
    # per channel there: wall (5/1000)/(2/100) = 25%, CPU 36%; every other row 100%.
    if [ "$s" = /n:32/c:64/h:40/w:40/threads:2/cold:0 ]; then
      fq+=("BM_Clone$s=100:200" "BM_StreamingCopy$s=100:250" "BM_FakeQuantPerTensor$s=300:700"
           "BM_FakeQuantPerChannel$s=1000:1400")
    else
      fq+=("BM_Clone$s=100:100" "BM_StreamingCopy$s=100:100" "BM_FakeQuantPerTensor$s=250:250"
           "BM_FakeQuantPerChannel$s=250:250")
    fi
  done
done
bench "${fq[@]}" >"$dir/fq.json"
det=()
for t in 1 2; do
  det+=("BM_StudentForwardBackward/batch:32/size:160/fake_quant:1/threads:$t=130:260"
        "BM_StudentForwardBackward/batch:32/size:160/fake_quant:0/threads:$t=100:200"
        "BM_QatTrainStep/batch:32/size:160/threads:$t=$((t == 1 ? 125 : 130)):$((t == 1 ? 300 : 260))"
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
has "per tensor, 2 threads, warm" "per tensor" 2 "160 px warm" 83% 71% ">= 70% (wall and cpu)" 89%
has "per channel, 2 threads, warm" "per channel" 2 "160 px warm" 25% 36% ">= 50% (neither)" 45%
has "per tensor, 1 thread, 320 px" "per tensor" 1 "320 px" 100% 100% ">= 70% (wall and cpu)" 100%
has "student ratio" "student with / without fake quant" 2 "1.30x (130/100)" "1.30x (260/200)" "<= 1.20x (neither)"
has "QAT step ratio" "QAT step / FP32 step" 1 "1.25x (125/100)" "1.50x (300/200)" "<= 1.30x (wall)"
has "a ratio at its target meets it" "QAT step / FP32 step" 2 "1.30x (130/100)" "1.30x (260/200)" "<= 1.30x (wall and cpu)"
[ "$(grep -c '%' <<<"$out")" = 12 ] || fail "12 fake-quant rows"
# A row missing: exit 2 naming it.
bench "${det[@]:1}" >"$dir/short.json"
set +e
err=$(node "$script" "$dir/fq.json" "$dir/short.json" 2>&1 >/dev/null); code=$?
set -e
[ "$code" = 2 ] && [ "$err" = "error: $dir/short.json: no median of BM_StudentForwardBackward/batch:32/size:160/fake_quant:1/threads:1 (run with --benchmark_repetitions >= 2)" ] ||
  { echo "FAIL: missing row: exit $code, $err"; exit 1; }
echo ok
