# Shared by the CLI test scripts: a temp dir, a failure count and `expect`.
# Source it after setting qat=$1.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME EXIT_CODE EXPECTED_STDERR_LINE -- command...
expect() {
  local name=$1 code=$2 line=$3
  shift 4
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$code" ]; then
    echo "FAIL $name: exit $got, expected $code"; cat "$work/err"; failures=$((failures + 1)); return
  fi
  if [ -n "$line" ] && ! grep -qxF -- "$line" "$work/err"; then
    echo "FAIL $name: stderr lacks line: $line"; cat "$work/err"; failures=$((failures + 1)); return
  fi
  echo "ok $name"
}

# expect_stdout NAME LINE: the last expect's command printed LINE on stdout.
expect_stdout() {
  if grep -qxF -- "$2" "$work/out"; then
    echo "ok $1"
  else
    echo "FAIL $1: stdout lacks line: $2"; cat "$work/out"; failures=$((failures + 1))
  fi
}

# tiny_scenes FILE: 24 scenes of 64 px, at most 2 items each (trains in seconds).
tiny_scenes() {
  "$qat" -q data fmnist-scenes --images 24 --size 64 --scale-max 2 --max-objects 2 --out "$1"
}

# fingerprint_data: scripts/fingerprint's 120 seeded scenes of 64 px as $work/d.h5 and a
# gate every candidate passes as $work/gate.yaml.
fingerprint_data() {
  "$qat" -q data fmnist-scenes --images 120 --size 64 --val-fraction 0.2 --max-objects 2 --scale-max 2 \
    --seed 0 --out "$work/d.h5" || exit 1
  printf 'min_recall: 0.0\nmin_precision_agreement: 0.0\nmin_median_iou: 0.0\nmax_confidence_mae: 1.0\n' >"$work/gate.yaml"
}

# tiny_recipe NAME BATCH QUANT [EXTRA]: scripts/fingerprint's tiny recipe over fingerprint_data
# as $work/NAME.yaml, with batch size BATCH, quant section QUANT and EXTRA lines appended
# (needs $root, the source tree).
tiny_recipe() {
  cat >"$work/$1.yaml" <<YAML
name: $1
seed: 0
output_dir: $work/runs
data: {path: $work/d.h5, image_size: 64, batch_size: $2}
model: {arch: $root/configs/arch/yolo-nano.yaml}
fp32: {epochs: 2, lr: 0.02, ema_decay: 0.99}
eval: {score_threshold: 0.01}
quant: $3
qat:
  epochs: 1
  optimizer: adamw
  lr: 0.0001
  threshold_search: {lo: 0.01, hi: 0.01}
  gate: $work/gate.yaml
${4:-}
YAML
}
