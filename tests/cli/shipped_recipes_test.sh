#!/usr/bin/env bash
# The shipped recipes: each is valid, names a gate file that exists, and its dataset
# is one scripts/default-data knows how to make (what scripts/run relies on).
# Usage: shipped_recipes_test.sh QAT_BINARY
set -u
qat=$1
source "$(dirname "$0")/cli_test_lib.sh"
cd "$(dirname "$0")/../.."

# A stand-in for qat that records the data command instead of composing scenes.
printf '#!/bin/sh\necho "$@" >"%s/made"\n' "$work" >"$work/fake-qat"
chmod +x "$work/fake-qat"

for recipe in recipes/*.yaml; do
  name=$(basename "$recipe" .yaml)
  expect "$name-valid" 0 "" -- "$qat" recipe check "$recipe"
  "$qat" recipe show "$recipe" >"$work/shown.yaml"
  gate=$(sed -n 's/^  gate: //p' "$work/shown.yaml")
  data=$(sed -n 's/^  path: //p' "$work/shown.yaml" | head -n 1)
  if [ -f "$gate" ]; then echo "ok $name-gate"; else echo "FAIL $name-gate: $gate"; failures=$((failures + 1)); fi
  rm -f "$work/made"
  # default-data only makes a file that is missing: point it at a copy of the tree's paths.
  (cd "$work" && mkdir -p data && rm -f "$data" && "$OLDPWD/scripts/default-data" "$work/fake-qat" "$data")
  if grep -q -- "--out $data\$" "$work/made" 2>/dev/null; then
    echo "ok $name-data"
  else
    echo "FAIL $name-data: scripts/default-data does not make $data"; failures=$((failures + 1))
  fi
done

# The rare recipe's long tail: Bag at 0.1, Sandal, Shirt and Ankle boot at 0.25.
(cd "$work" && "$OLDPWD/scripts/default-data" "$work/fake-qat" data/fmnist-rare-7k.h5)
expected="data fmnist-scenes --images 7000 --val-fraction 0.15 --size 160 --rare 8=0.1 --rare 5=0.25 --rare 6=0.25 --rare 9=0.25 --out data/fmnist-rare-7k.h5"
if grep -qxF -- "$expected" "$work/made"; then echo "ok rare-data-skew"; else echo "FAIL rare-data-skew"; cat "$work/made"; failures=$((failures + 1)); fi

# An existing file is left alone; an unknown path is not made.
touch "$work/data/fmnist-rare-7k.h5"; rm -f "$work/made"
(cd "$work" && "$OLDPWD/scripts/default-data" "$work/fake-qat" data/fmnist-rare-7k.h5 &&
  "$OLDPWD/scripts/default-data" "$work/fake-qat" data/other.h5)
if [ ! -e "$work/made" ]; then echo "ok data-left-alone"; else echo "FAIL data-left-alone"; failures=$((failures + 1)); fi

exit $((failures > 0))
