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
