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
