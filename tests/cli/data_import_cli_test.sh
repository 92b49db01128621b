#!/usr/bin/env bash
# `qat data import` as a user meets it: exit codes, messages, and a result that
# `qat data inspect` accepts. Usage: data_import_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/cli/cli_test_lib.sh"

# A 2x2 red RGB PNG.
red_png() {
  printf '\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x10\x49\x44\x41\x54\x78\xda\x63\xf8\xcf\xc0\x00\x44\x0c\x10\x0a\x00\x1f\xee\x03\xfd\x63\x5e\xbb\x5b\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82' >"$1"
}

# YOLO: one image, one box covering its left half.
mkdir -p "$work/y/images/train" "$work/y/labels/train"
printf 'cat\ndog\n' >"$work/y/classes.txt"
red_png "$work/y/images/train/a.png"
printf '1 0.25 0.5 0.5 1\n' >"$work/y/labels/train/a.txt"
expect yolo-import 0 "" -- "$qat" data import yolo "$work/y" --size 8 --out "$work/y.h5"
expect yolo-inspect 0 "" -- "$qat" data inspect "$work/y.h5"
expect_stdout yolo-inspect-images "  train: 1 images 8x8, 1 objects"
expect_stdout yolo-class-count "    1 dog: 1"
printf '1 0.25 0.5 0.5\n' >"$work/y/labels/train/a.txt"
expect yolo-bad-line 2 "error: $work/y/labels/train/a.txt:1: expected 5 numbers, got 4" \
  -- "$qat" data import yolo "$work/y" --out "$work/bad.h5"
[ -e "$work/bad.h5" ] && { echo "FAIL yolo-bad-line left $work/bad.h5"; failures=$((failures + 1)); }

# COCO: the same image, categories 5 (car) and 2 (bus) -> class_names bus, car.
mkdir -p "$work/c/img"
red_png "$work/c/img/a.png"
cat >"$work/c/train.json" <<'JSON'
{"images": [{"id": 1, "file_name": "a.png", "width": 2, "height": 2}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 2]}],
 "categories": [{"id": 5, "name": "car"}, {"id": 2, "name": "bus"}]}
JSON
expect coco-import 0 "" -- "$qat" data import coco --split "train=$work/c/train.json:$work/c/img" --size 8 --out "$work/c.h5"
expect coco-inspect 0 "" -- "$qat" data inspect "$work/c.h5"
expect_stdout coco-class-count "    1 car: 1"
expect coco-bad-split 2 "error: --split: expected NAME=JSON:IMAGES_DIR, got '$work/c/train.json'" \
  -- "$qat" data import coco --split "$work/c/train.json" --out "$work/bad.h5"
printf '{"images": [}' >"$work/c/broken.json"
expect coco-syntax 2 \
  "error: $work/c/broken.json:1:13: invalid JSON at byte 13: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal" \
  -- "$qat" data import coco --split "train=$work/c/broken.json:$work/c/img" --out "$work/bad.h5"
expect no-out 2 "" -- "$qat" data import coco --split "train=$work/c/train.json:$work/c/img"

exit $((failures > 0))
