#!/usr/bin/env bash
# scripts/check-function-length on made-up sources: it names an 81-line function (with its
# first line) and passes an 80-line one, a class body, a namespace and a lambda inside a function.
set -euo pipefail
check=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
body() { for ((i = 0; i < $1; ++i)); do echo "  x += $i;  // { not a brace"; done; }
{
  echo 'namespace a {'
  echo 'struct S {'
  echo '  int f() const {'
  body 78
  echo '  }'
  echo '};'
  echo 'int g(int x) {'
  echo '  auto h = [&](int y) { return y + 1; };'
  body 78
  echo '}'
  echo '}  // namespace a'
} >"$dir/long.cpp"
out=$("$check" "$dir" || true)
expected="long.cpp:84: g is 81 lines (limit 80)
1 functions over 80 lines"
if [[ "$out" != "$expected" ]]; then
  echo "unexpected output:"; echo "$out"; exit 1
fi
"$check" --max 81 "$dir" >/dev/null || { echo "an 81-line function failed --max 81"; exit 1; }
if "$check" "$dir" >/dev/null; then echo "exit status 0 with a long function"; exit 1; fi
echo ok
