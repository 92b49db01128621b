#!/usr/bin/env bash
# Faults made on purpose (issue 14): a second process on a run directory, SIGTERM
# and SIGINT at known points, a full disk (a small tmpfs in a private mount
# namespace: needs root, as the suite and CI run), ONNX Runtime failing or hanging
# (a stand-in QAT_ORT_SCRIPT), a diverging lr. Each case asserts the exit code, the
# message and the files left afterwards.
# Usage: faults_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/cli/cli_test_lib.sh"
export TMPDIR=$work/tmp  # ONNX Runtime scratch directories land here
mkdir -p "$TMPDIR"

fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() {  # check NAME CONDITION...: one assertion on the state of the files
  local name=$1
  shift
  if "$@"; then echo "ok $name"; else fail "$name"; fi
}
json() {  # json FILE EXPR: prints the JS expression EXPR of the parsed FILE (r)
  node -e 'let v; try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); v = eval(process.argv[2]); } catch (e) { v = "unreadable"; } console.log(v)' "$1" "$2"
}
leftovers() {  # temporary files below $1 (besides the live one the test keeps)
  find "$1" \( -name '*.tmp-*' -o -name 'staging.*' \) ! -name "staging.$$.keep" | sort
}
dead_pid() {  # a pid that was just used and is gone
  sleep 0 &
  local p=$!
  wait $p
  echo $p
}
wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds
  local n=$(($1 * 10))
  shift
  while [ $n -gt 0 ]; do
    "$@" && return 0
    sleep 0.1
    n=$((n - 1))
  done
  return 1
}

tiny_scenes "$work/d.h5" || exit 1
printf 'min_recall: 0\nmin_precision_agreement: 0\nmin_median_iou: 0\nmax_confidence_mae: 1\n' >"$work/lenient.yaml"
recipe() {  # recipe FILE NAME OUTPUT_DIR
  {
    printf 'name: %s\noutput_dir: %s\n' "$2" "$3"
    printf 'data:\n  path: %s\n  image_size: 64\n  batch_size: 6\n' "$work/d.h5"
    printf 'model:\n  arch: %s\nfp32:\n  epochs: 1\neval:\n  score_threshold: 0.05\n' "$root/configs/arch/yolo-nano.yaml"
    printf 'quant:\n  calibration_images: 12\n'
    printf 'qat:\n  epochs: 1\n  threshold_search: {lo: 0.05, hi: 0.05}\n  gate: %s\n' "$work/lenient.yaml"
  } >"$1"
}
recipe "$work/pub.yaml" pub "$work/runs"
run=$work/runs/pub
mkdir -p "$run/fp32"

# 1. Run directory ownership: a run holds <run>/.lock (flock, owner pid inside); a
# second run is refused naming the owner and touches nothing.
bash -c 'exec 9<>"$1/.lock"; flock -n 9 || exit 1; echo $$ >&9; exec sleep 60' _ "$run" &
holder=$!
wait_for 5 test -s "$run/.lock"
expect lock-held-by-another-process 2 \
  "error: $run: in use by another qat run (pid $holder); wait for it to finish or stop it" -- \
  "$qat" -q train "$work/pub.yaml"
check lock-refusal-writes-nothing test ! -e "$run/report.json" -a -z "$(ls -A "$run/fp32")"
kill $holder
wait $holder 2>/dev/null

# 5b. Leftovers of runs that are gone are removed by the next run; a live one's stay.
dead=$(dead_pid)
touch "$run/fp32/best.h5.tmp-$dead" "$run/staging.$dead.model.int8.onnx" "$run/staging.$$.keep"
mkdir -p "$TMPDIR/qat-ort-$dead-1" && touch "$TMPDIR/qat-ort-$dead-1/input0.bin"
expect publishes 0 "" -- "$qat" -q train "$work/pub.yaml"
check stale-temp-files-removed test -z "$(leftovers "$run")"
check stale-scratch-dir-removed test ! -e "$TMPDIR/qat-ort-$dead-1"
check live-temp-file-kept test -e "$run/staging.$$.keep"
check lock-released test ! -s "$run/.lock"
sha=$(sha256sum "$run/model.int8.onnx" | cut -d' ' -f1)
intact() {  # the first run's candidate is still published and verifies
  [ "$(sha256sum "$run/model.int8.onnx" 2>/dev/null | cut -d' ' -f1)" = "$sha" ] &&
    "$qat" -q threshold verify "$run/model.int8.onnx" "$run/model.int8.threshold.json" >/dev/null &&
    [ "$(json "$run/report.json" 'r.candidate')" = null ] &&
    [ "$(json "$run/report.json" 'r.kept_candidate.model_sha256')" = "$sha" ] &&
    [ -z "$(leftovers "$run")" ]
}

# 3. A re-run with a bad input keeps the published candidate; report.json says what failed.
expect rerun-bad-gate 2 "error: $work/missing.yaml: cannot read: No such file or directory" -- \
  "$qat" -q train "$work/pub.yaml" --set "qat.gate=$work/missing.yaml"
check rerun-bad-gate-keeps-candidate intact
check rerun-bad-gate-report-says-phase test "$(json "$run/report.json" 'r.error.phase + " " + r.error.exit_code')" = "setup 2"

# 1+5. Two qat processes on one directory, then SIGTERM to the first during FP32:
# the second is refused naming the first; the first exits 143, removes its
# temporary files, releases the lock, and the candidate of the earlier run stays.
"$qat" train "$work/pub.yaml" --set fp32.epochs=200 >"$work/long.out" 2>&1 &
long=$!
wait_for 60 grep -q "fp32 epoch 1/200 done" "$work/long.out" || fail "long run did not start"
expect second-qat-refused 2 "error: $run: in use by another qat run (pid $long); wait for it to finish or stop it" -- \
  "$qat" -q train "$work/pub.yaml"
kill -TERM $long
wait $long
code=$?
if [ $code = 143 ] && grep -qxF "error: interrupted by SIGTERM; the run stopped and removed its temporary files" "$work/long.out"; then
  echo "ok sigterm-exits-143"
else
  fail "sigterm-exits-143: exit $code"; tail -3 "$work/long.out"
fi
check sigterm-keeps-candidate intact
check sigterm-report-says-phase test "$(json "$run/report.json" 'r.error.phase + " " + r.error.exit_code')" = "fp32 143"
check sigterm-releases-lock test ! -s "$run/.lock"

# 5. SIGINT (a terminal's Ctrl-C) the same way: exit 130.
"$qat" train "$work/pub.yaml" --set fp32.epochs=200 >"$work/long.out" 2>&1 &
long=$!
wait_for 60 grep -q "fp32 epoch 1/200 iter" "$work/long.out" || fail "long run did not start"
kill -INT $long
wait $long
code=$?
if [ $code = 130 ] && grep -qxF "error: interrupted by SIGINT; the run stopped and removed its temporary files" "$work/long.out"; then
  echo "ok sigint-exits-130"
else
  fail "sigint-exits-130: exit $code"; tail -3 "$work/long.out"
fi
check sigint-keeps-candidate intact

# 4. Failures after training keep the run: ONNX Runtime failing at the re-check
# gives exit 6 and a report with every epoch and the error.
cat >"$work/ort_fails.js" <<'JS'
if (process.argv[2] === '--version') { process.stdout.write('1.23.2'); process.exit(0); }
process.stderr.write('stand-in ONNX Runtime failure\n'); process.exit(1);
JS
QAT_ORT_SCRIPT=$work/ort_fails.js "$qat" -q train "$work/pub.yaml" --set "qat.fp32_weights=$run/fp32/best.h5" \
  >"$work/out" 2>"$work/err"
code=$?
if [ $code = 6 ] && grep -q "^error the ONNX Runtime re-check failed: .*ONNX Runtime failed: stand-in ONNX Runtime failure$" "$work/err"; then
  echo "ok ort-failure-exits-6"
else
  fail "ort-failure-exits-6: exit $code"; cat "$work/err"
fi
check ort-failure-report-has-epochs test "$(json "$run/report.json" 'r.error.phase + " " + r.error.exit_code + " " + r.qat.epochs.length + " " + r.export.profile')" = "onnxruntime 6 2 tensorrt"
check ort-failure-keeps-candidate intact

# 5. SIGTERM while ONNX Runtime runs: its node process (in its own process group)
# is stopped, its scratch directory removed, exit 143.
cat >"$work/ort_hangs.js" <<JS
if (process.argv[2] === '--version') { process.stdout.write('1.23.2'); process.exit(0); }
require('fs').writeFileSync('$work/node.pid', String(process.pid));
setTimeout(() => {}, 60000);
JS
QAT_ORT_SCRIPT=$work/ort_hangs.js "$qat" -q train "$work/pub.yaml" --set "qat.fp32_weights=$run/fp32/best.h5" \
  >"$work/out" 2>"$work/err" &
long=$!
wait_for 60 test -s "$work/node.pid" || fail "node did not start"
node_pid=$(cat "$work/node.pid")
check scratch-dir-while-running test -n "$(ls "$TMPDIR" | grep qat-ort-)"
kill -TERM $long
wait $long
code=$?
check sigterm-during-onnxruntime-exits-143 test $code = 143
check node-child-stopped wait_for 5 sh -c "! kill -0 $node_pid 2>/dev/null"
check scratch-dir-removed test -z "$(ls "$TMPDIR")"
check sigterm-during-onnxruntime-keeps-candidate intact

# 6. A diverging lr: the first non-finite loss or gradient stops the phase (exit 2,
# phase, epoch and iteration). Nothing is exported.
recipe "$work/nan.yaml" nan "$work/runs"
expect nan-loss-stops 2 "error: fp32 epoch 1 iteration 3: the gradient of 'backbone.0.bn.bias' is not finite; lower fp32.lr (10) or check the data" -- \
  "$qat" -q train "$work/nan.yaml" --set fp32.lr=10
check nan-nothing-exported test ! -e "$work/runs/nan/fp32/model.fp32.onnx" -a ! -e "$work/runs/nan/model.int8.onnx"
check nan-report-says-phase test "$(json "$work/runs/nan/report.json" 'r.error.phase')" = fp32
# fp32.max_bad_batches: that many such batches are skipped (no step), and the phase goes on.
expect bad-batch-skipped 0 "warning fp32 epoch 1 iteration 3: the gradient of 'backbone.0.bn.bias' is not finite; skipping the batch (1 of 1 allowed)" -- \
  "$qat" train "$work/nan.yaml" --phase fp32 --set name=nanskip --set fp32.lr=10 --set fp32.max_bad_batches=1
check bad-batch-skipped-exports test -s "$work/runs/nanskip/fp32/model.fp32.onnx"

# 5. scripts/nightly killed stops its qat child (trap, forwarded SIGTERM); while it
# runs, a second nightly on the same run meets the lock and publishes nothing.
recipe "$work/nightly.yaml" nightly "$work/unused"
sed -i 's/^  epochs: 1$/  epochs: 200/' "$work/nightly.yaml"
export QAT_BIN=$qat QAT_DATE=2026-01-03 QAT_CANDIDATES=$work/candidates QAT_NIGHTLY_RUNS=$work/nightly
id="2026-01-03-$(git -C "$root" rev-parse --short=10 HEAD 2>/dev/null || echo nogit)"
nrun=$work/nightly/$id/nightly
"$root/scripts/nightly" "$work/nightly.yaml" >"$work/nightly.out" 2>&1 &
nightly=$!
wait_for 60 test -s "$nrun/.lock" || fail "nightly did not start qat"
child=$(cat "$nrun/.lock" 2>/dev/null)
expect nightly-rerun-sees-lock 2 "nightly: no candidate for $id: qat train exited with 2 (run: $nrun)" -- \
  "$root/scripts/nightly" "$work/nightly.yaml"
check nightly-rerun-names-owner grep -qxF "error: $nrun: in use by another qat run (pid $child); wait for it to finish or stop it" "$work/err"
kill -TERM $nightly
wait $nightly
code=$?
check nightly-sigterm-exits-143 test $code = 143
check nightly-stops-qat-child sh -c "! kill -0 $child 2>/dev/null"
check nightly-stopped-message grep -qxF "nightly: stopped by SIGTERM" "$work/nightly.out"
check nightly-child-cleaned-up test -z "$(leftovers "$work/nightly")" -a ! -s "$nrun/.lock"
check nightly-published-nothing test ! -e "$work/candidates/$id"
unset QAT_BIN QAT_DATE QAT_CANDIDATES QAT_NIGHTLY_RUNS

# 2. A full disk: a 256 KiB tmpfs in a private mount namespace. The write fails with
# exit 2 naming the file and "no space left on device"; the temporary is removed and
# the file that was there keeps its content (no corrupt file renamed into place, no
# crash in HDF5's exit handler).
full=$work/full
mkdir -p "$full"
expect disk-full-dataset 2 "" -- unshare -m sh -c \
  'mount -t tmpfs -o size=256k tmpfs "$1" && echo old >"$1/d.h5" && "$2" -q data fmnist-scenes --images 600 --size 96 --out "$1/d.h5"; code=$?; cat "$1/d.h5" >"$3/d.after"; ls -A "$1" >"$3/d.ls"; exit $code' \
  _ "$full" "$qat" "$work"
check disk-full-dataset-message grep -q "no space left on device" "$work/err"
check disk-full-dataset-names-file grep -qxF "  while writing the dataset $full/d.h5" "$work/err"
check disk-full-dataset-keeps-old test "$(cat "$work/d.after")" = old -a "$(cat "$work/d.ls")" = d.h5

recipe "$work/full.yaml" ck "$full/runs"
expect disk-full-checkpoint 2 "" -- unshare -m sh -c \
  'mount -t tmpfs -o size=256k tmpfs "$1" && mkdir -p "$1/runs/ck/fp32" && echo old >"$1/runs/ck/fp32/best.h5" && "$2" -q train "$3/full.yaml" --phase fp32; code=$?; cat "$1/runs/ck/fp32/best.h5" >"$3/ck.after"; ls -A "$1/runs/ck/fp32" >"$3/ck.ls"; exit $code' \
  _ "$full" "$qat" "$work"
check disk-full-checkpoint-message grep -q "no space left on device" "$work/err"
check disk-full-checkpoint-names-file grep -qxF "  while writing the checkpoint $full/runs/ck/fp32/best.h5" "$work/err"
check disk-full-checkpoint-keeps-old test "$(cat "$work/ck.after")" = old -a "$(cat "$work/ck.ls")" = best.h5

echo "$failures failed"
exit $((failures > 0))
