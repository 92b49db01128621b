#!/usr/bin/env bash
# Hostile and careless inputs as a user meets them (issue 14, the input half): each
# case exits 2 with a message naming what and where, never 1 or a signal, reads
# nothing outside the inputs, and leaves no output behind.
# Usage: faults_input_test.sh QAT_BINARY
set -u
qat=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")  # absolute: the test works in its temp dir
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"
cd "$work" || exit 1

# absent NAME FILE: the failed command left no FILE.
absent() {
  if [ -e "$2" ]; then echo "FAIL $1: $2 exists"; failures=$((failures + 1)); else echo "ok $1"; fi
}
# lacks NAME TEXT: the last command's stderr does not contain TEXT.
lacks() {
  if grep -qF -- "$2" "$work/err"; then echo "FAIL $1: stderr shows $2"; cat "$work/err"; failures=$((failures + 1)); else echo "ok $1"; fi
}
hint="(give --allow-outside to read files elsewhere)"

# A 2x2 red RGB PNG.
red_png() {
  printf '\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x10\x49\x44\x41\x54\x78\xda\x63\xf8\xcf\xc0\x00\x44\x0c\x10\x0a\x00\x1f\xee\x03\xfd\x63\x5e\xbb\x5b\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82' >"$1"
}

# --- 1. paths leaving the images folder, link loops, JSON overflow
mkdir -p img && red_png img/a.png
coco() { printf '{"images": [{"id": 1, "file_name": "%s"}], "annotations": [], "categories": [{"id": 1, "name": "cat"}]}' "$1" >c.json; }
coco ../../../../../../../etc/passwd
expect coco-dotdot 2 "error: c.json: images[0] (id 1): '../../../../../../../etc/passwd' leaves img $hint" \
  -- "$qat" -q data import coco --split train=c.json:img --out c.h5
absent coco-dotdot-no-output c.h5
coco ../../../../../../../etc/no-such-file  # same message: existence outside is not told
expect coco-dotdot-missing 2 "error: c.json: images[0] (id 1): '../../../../../../../etc/no-such-file' leaves img $hint" \
  -- "$qat" -q data import coco --split train=c.json:img --out c.h5
coco /etc/passwd
expect coco-absolute 2 "error: c.json: images[0] (id 1): '/etc/passwd' is an absolute path; paths must stay inside img $hint" \
  -- "$qat" -q data import coco --split train=c.json:img --out c.h5
coco ../img/a.png
expect coco-allow-outside 0 "" -- "$qat" -q data import coco --split train=c.json:img --out c.h5 --allow-outside
printf '{"images": [{"id": 1,\n  "width": 1e999}], "categories": []}' >o.json
expect coco-json-overflow 2 "error: o.json:2:12: invalid JSON: number overflow parsing '1e999'" \
  -- "$qat" -q data import coco --split train=o.json:img --out o.h5
absent coco-json-overflow-no-output o.h5

mkdir -p y/images/train && echo cat >y/classes.txt && red_png y/images/train/a.png
ln -s /etc/passwd y/images/train/b.png
expect yolo-link-out 2 "error: y/images/train/b.png: 'b.png' leads out of y/images/train through a symbolic link $hint" \
  -- "$qat" -q data import yolo y --out y.h5
absent yolo-link-out-no-output y.h5
rm y/images/train/b.png && ln -s c.png y/images/train/b.png && ln -s b.png y/images/train/c.png
expect yolo-link-loop 2 "error: y/images/train/b.png: 'b.png': symbolic link loop" -- "$qat" -q data import yolo y --out y.h5
absent yolo-link-loop-no-output y.h5

# --- 6. a PNG header declaring 40000x40000 (decompression bomb)
mkdir -p z/images/train && echo cat >z/classes.txt && red_png z/images/train/a.png
printf '\x00\x00\x27\x10\x00\x00\x27\x10' | dd of=z/images/train/a.png bs=1 seek=16 conv=notrunc status=none
expect png-bomb 2 "error: z/images/train/a.png: cannot decode image: its header declares 10000x10000 pixels, at most 67108864 pixels (raise with QAT_MAX_IMAGE_PIXELS=N)" \
  -- "$qat" -q data import yolo z --out z.h5
absent png-bomb-no-output z.h5

# --- 7. recipes
printf 'fp32:\n  lr: .nan\n' >nan.yaml
expect recipe-nan 2 "error: nan.yaml:2:7: fp32.lr: must be a finite number, got '.nan'" -- "$qat" recipe check nan.yaml
printf 'eval:\n  score_threshold: .nan\n' >nan2.yaml
expect recipe-threshold-nan 2 "error: nan2.yaml:2:20: eval.score_threshold: must be a finite number, got '.nan'" \
  -- "$qat" recipe check nan2.yaml
expect recipe-set-inf 2 "error: --set fp32.momentum=.inf: fp32.momentum: must be a finite number, got '.inf'" \
  -- "$qat" recipe check nan2.yaml --set fp32.momentum=.inf
mkdir -p dir.yaml
expect recipe-directory 2 "error: dir.yaml: is a directory, not a YAML file" -- "$qat" recipe check dir.yaml
printf 'seed: 1\n---\nseed: 2\n' >multi.yaml
expect recipe-multi-document 2 "error: multi.yaml:3:1: a second YAML document ('---'); a recipe is one document" \
  -- "$qat" recipe check multi.yaml
printf 'a: %s\n' "$(printf '[%.0s' $(seq 3000))" >deep.yaml
expect recipe-deep-nesting 2 "error: deep.yaml:2:1: nested deeper than yaml-cpp's limit of 500 levels" \
  -- "$qat" recipe check deep.yaml
printf 'name: ..\n' >dotdot.yaml
expect recipe-name-dotdot 2 "error: dotdot.yaml:1:7: name: must be a non-empty file name, not '.' or '..', without '/' or '\\'" \
  -- "$qat" recipe check dotdot.yaml
expect threads-range 2 "--threads: Value 100000 not in range 0 to $((4 * $(getconf _NPROCESSORS_ONLN)))" \
  -- "$qat" --threads 100000 recipe check nan.yaml

# --- a tiny run: its checkpoints are this qat's own
tiny_scenes d.h5 || exit 1
sleep 1.1  # HDF5 timestamps have a one-second resolution
tiny_scenes d2.h5 || exit 1
if cmp -s d.h5 d2.h5; then echo "ok dataset-byte-identical"; else echo "FAIL dataset-byte-identical"; failures=$((failures + 1)); fi
cp "$root/configs/arch/yolo-nano.yaml" arch.yaml
cp "$root/configs/arch/yolo-nano.yaml" archfile
recipe() {  # NAME OUTPUT_DIR [ARCH]
  printf 'name: %s\nseed: 0\noutput_dir: %s\ndata:\n  path: %s/d.h5\n  image_size: 64\n  batch_size: 6\n' "$1" "$2" "$work"
  printf 'model:\n  arch: %s/%s\nfp32:\n  epochs: 1\nqat:\n  gate: %s/configs/gates/default.yaml\n' "$work" "${3:-arch.yaml}" "$root"
}
recipe s0 "$work/runs" >s0.yaml
"$qat" -q train s0.yaml --phase fp32 || exit 1
ck=runs/s0/fp32/best.h5
onnx=runs/s0/fp32/model.fp32.onnx

# --- 4. a flipped weight byte is refused by every reader
cp $ck flip.h5
size=$(stat -c %s flip.h5)
byte=$(od -An -tu1 -j $((size / 2)) -N1 flip.h5 | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of=flip.h5 bs=1 seek=$((size / 2)) conv=notrunc status=none
digest="content does not match its digest"
expect ptq-flipped 2 "" -- "$qat" -q ptq s0.yaml --weights flip.h5
grep -qF "$digest" err && echo "ok ptq-flipped-message" || { echo "FAIL ptq-flipped-message"; cat err; failures=$((failures + 1)); }
expect sweep-flipped 2 "" -- "$qat" -q sweep s0.yaml --weights flip.h5
grep -qF "$digest" err && echo "ok sweep-flipped-message" || { echo "FAIL sweep-flipped-message"; cat err; failures=$((failures + 1)); }
expect provenance-flipped 2 "" -- "$qat" -q provenance flip.h5 $onnx
grep -qF "$digest" err && echo "ok provenance-flipped-message" || { echo "FAIL provenance-flipped-message"; cat err; failures=$((failures + 1)); }
cp runs/s0/fp32/last.h5 last.bak && cp flip.h5 runs/s0/fp32/last.h5
expect resume-flipped 2 "" -- "$qat" -q train s0.yaml --phase fp32 --resume
grep -qF "$digest" err && echo "ok resume-flipped-message" || { echo "FAIL resume-flipped-message"; cat err; failures=$((failures + 1)); }
cp last.bak runs/s0/fp32/last.h5

# --- 6. ONNX initializer dims: an initializer 'w' with 8 raw bytes and the given dims
# (hex varints), in a model the recipe imports (the importer reads it before anything else).
onnx_dims() {  # FILE DIM_VARINT_HEX...
  local out=$1 dims="" d
  shift
  for d in "$@"; do dims+="08$d"; done
  local tensor="${dims}10014201774a080000000000000000"
  local tlen=$(( ${#tensor} / 2 ))
  local graph="120167""2a$(printf '%02x' $tlen)$tensor"
  printf '%s' "0808""3a$(printf '%02x' $(( ${#graph} / 2 )))$graph""4204""0a00100d" | xxd -r -p >"$out"
}
onnx_recipe() {
  printf 'name: o\noutput_dir: %s/runs\ndata:\n  path: %s/d.h5\n  image_size: 64\n  batch_size: 6\n' "$work" "$work"
  printf 'model:\n  onnx: %s\n  head: {logits: logits, anchor_points: a, anchor_strides: s}\n' "$1"
  printf 'qat:\n  gate: %s/configs/gates/default.yaml\n' "$root"
}
onnx_dims huge.onnx 80a094a58d1d && onnx_recipe huge.onnx >o.yaml
expect onnx-dims-1e12 2 "error: huge.onnx: initializer 'w': tensor 'w': raw data has 8 bytes for 1000000000000 elements of Float" -- "$qat" -q train o.yaml --smoke
onnx_dims neg.onnx fbffffffffffffffff01 && onnx_recipe neg.onnx >o.yaml
expect onnx-dims-negative 2 "error: neg.onnx: initializer 'w': tensor 'w': dims [-5] has a negative dimension" -- "$qat" -q train o.yaml --smoke
onnx_dims ovf.onnx 8080808010 8080808010 && onnx_recipe ovf.onnx >o.yaml
expect onnx-dims-overflow 2 "error: ovf.onnx: initializer 'w': tensor 'w': dims [4294967296,4294967296] hold more elements than int64 counts" -- "$qat" -q train o.yaml --smoke

# --- 6. provenance --samples
expect provenance-samples 2 "error: --samples 100000000 is too many: at most 4096 images (raise with QAT_MAX_PROVENANCE_SAMPLES=N)" \
  -- "$qat" -q provenance $ck $onnx --samples 100000000

# --- 2. a checkpoint's recipe names a file that is not an architecture
# Its arch file replaced by a secret: the error quotes at most 80 characters of it.
cp arch.yaml arch.bak
printf 'x%.0s' $(seq 100) >arch.yaml && printf 'SECRET-PASSWORD=hunter2\n' >>arch.yaml
expect checkpoint-arch-excerpt 2 "error: $work/arch.yaml:1:1: expected a mapping, got '$(printf 'x%.0s' $(seq 80))...'" \
  -- "$qat" -q provenance $ck $onnx
lacks checkpoint-arch-no-content hunter2
cp arch.bak arch.yaml
# A stored path that does not name a .yaml file is not read at all.
recipe s9 "$work/runs" archfile >s9.yaml
"$qat" -q train s9.yaml --phase fp32 || exit 1
printf 'SECRET-PASSWORD=hunter2\n' >archfile
expect checkpoint-arch-path 2 "error: runs/s9/fp32/best.h5: /recipe: model.arch '$work/archfile' is not a .yaml or .yml file" \
  -- "$qat" -q provenance runs/s9/fp32/best.h5 runs/s9/fp32/model.fp32.onnx
lacks checkpoint-arch-path-no-content hunter2

# --- 5. output paths
recipe s1 /proc/qat-out >s1.yaml
expect output-unwritable 2 "error: /proc/qat-out/s1: cannot create directory: No such file or directory" -- "$qat" -q train s1.yaml --phase fp32
touch afile
recipe s2 "$work/afile/runs" >s2.yaml
expect output-file-as-dir 2 "error: $work/afile/runs/s2: cannot create directory: Not a directory" -- "$qat" -q train s2.yaml --phase fp32

# --- 3. threshold manifests
tiny_onnx() {  # FILE THRESHOLD: ir_version 8, an empty graph "g", metadata qat.score_threshold
  local t=$2
  printf '\x08\x08\x3a\x03\x12\x01\x67\x72%b\x0a\x13qat.score_threshold\x12%b%s' \
    "\\x$(printf '%02x' $((2 + 19 + 2 + ${#t})))" "\\x$(printf '%02x' ${#t})" "$t" >"$1"
}
tiny_onnx m.onnx 0.690000
sha=$(sha256sum m.onnx | cut -d' ' -f1)
manifest() {  # THRESHOLD VERSION
  printf '{"format": "qat-threshold-manifest", "format_version": %s, "model": "m.onnx", "model_sha256": "%s", "score_threshold": %s, "teacher_threshold": 0.7, "gate": {}, "recipe_hash": "x", "versions": {}}' \
    "$2" "$sha" "$1" >m.json
}
manifest 0.69 1
expect manifest-ok 0 "" -- "$qat" threshold verify m.onnx m.json --threshold 0.69
manifest 0.3 1
expect manifest-edited 2 "error: m.json: score_threshold 0.29999999999999999 differs from the model's own 0.690000 (m.onnx metadata qat.score_threshold)" \
  -- "$qat" threshold verify m.onnx m.json
manifest -7 1
expect manifest-negative 2 "error: m.json: score_threshold must be a number in (0, 1), got -7" -- "$qat" threshold verify m.onnx m.json
manifest 1e300 1
expect manifest-huge 2 "error: m.json: score_threshold must be a number in (0, 1), got 1.0000000000000001e+300" \
  -- "$qat" threshold verify m.onnx m.json
manifest 0.69 99
expect manifest-version 2 "error: m.json: manifest format version 99 is not supported (expected 1)" -- "$qat" threshold verify m.onnx m.json
manifest 0.69 1
expect threshold-nan 2 "error: --threshold must be a number in (0, 1), got nan" -- "$qat" threshold verify m.onnx m.json --threshold nan
expect threshold-negative 2 "error: --threshold must be a number in (0, 1), got -0.5" \
  -- "$qat" threshold verify m.onnx m.json --threshold -0.5
expect threshold-above-one 2 "error: --threshold must be a number in (0, 1), got 1.5" \
  -- "$qat" threshold verify m.onnx m.json --threshold 1.5

[ "$failures" = 0 ] && echo "all passed" || echo "$failures failed"
[ "$failures" = 0 ]
