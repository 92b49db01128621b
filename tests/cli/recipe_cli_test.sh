#!/usr/bin/env bash
# The qat program's contract for recipes: exit codes and messages as a user sees them.
# Usage: recipe_cli_test.sh QAT_BINARY
set -u
qat=$1
source "$(dirname "$0")/cli_test_lib.sh"

printf 'name: t\ndata:\n  image_size: 160\n  batch_szie: 8\n' >"$work/typo.yaml"
expect misspelled-key 2 \
  "error: $work/typo.yaml:4:3: data.batch_szie: unknown key; did you mean 'batch_size'?" \
  -- "$qat" recipe check "$work/typo.yaml"

printf 'name: t\nfp32:\n  lr: 0.1\n' >"$work/ok.yaml"
expect valid-recipe 0 "" -- "$qat" recipe check "$work/ok.yaml"
expect bad-override 2 "error: --set fp32.lr=fast: fp32.lr: expected a number, got 'fast'" \
  -- "$qat" recipe check "$work/ok.yaml" --set fp32.lr=fast
expect missing-file 2 "error: $work/none.yaml: cannot read: No such file or directory" \
  -- "$qat" recipe check "$work/none.yaml"
expect no-subcommand 2 "" -- "$qat"

# `show` prints the resolved recipe, defaults included, with overrides applied.
"$qat" recipe show "$work/ok.yaml" --set fp32.epochs=4 >"$work/shown.yaml" 2>&1
if grep -qx '  epochs: 4' "$work/shown.yaml" && grep -qx '  optimizer: sgd' "$work/shown.yaml" &&
   grep -qx '  lr: 0.1' "$work/shown.yaml"; then
  echo "ok show-resolved"
else
  echo "FAIL show-resolved"; cat "$work/shown.yaml"; failures=$((failures + 1))
fi
# What show prints is itself a valid recipe with the same content.
expect show-roundtrip 0 "" -- "$qat" recipe check "$work/shown.yaml"

exit $((failures > 0))
