#!/usr/bin/env bash
# scripts/ab after `qat train` on the fingerprint's tiny seeded recipe (120 scenes of 64 px,
# 2 FP32 epochs, 1 QAT epoch, 2 threads): ab.md has the four rows, ab.json is report["ab"],
# the PTQ row with the recipe's own calibration has the figures of the run's PTQ epoch,
# nothing the run published changes but report.json's new "ab" and report.html, which
# `qat report` renders again with the A/B table, cell for cell as ab.md prints it; and
# `qat report` on what is no run directory exits 2 naming the path.
# Usage: ab_cli_test.sh QAT_BINARY
set -u
qat=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/cli_test_lib.sh"

# expect_js NAME EXPR EXPECTED: the JavaScript EXPR (over `run`, `ab` and `report`) prints EXPECTED.
expect_js() {
  local got
  got=$(node -e 'const fs = require("fs"); const run = process.argv[1];
    const ab = JSON.parse(fs.readFileSync(run + "/ab.json")); const report = JSON.parse(fs.readFileSync(run + "/report.json"));
    console.log(eval(process.argv[2]))' "$run" "$1" 2>&1)
  if [ "$got" = "$2" ]; then echo "ok $3"; else echo "FAIL $3: $1 is '$got', expected '$2'"; failures=$((failures + 1)); fi
}

fingerprint_data
tiny_recipe tiny 8 "{calibration_images: 16}"
run=$work/runs/tiny
expect ab-before-train 2 "scripts/ab: $run has no report.json and fp32/best.h5; run \`qat train $work/tiny.yaml\` first" -- \
  "$root/scripts/ab" "$work/tiny.yaml" "$qat"
"$qat" -q --threads 2 train "$work/tiny.yaml" || exit 1
published() { (cd "$run" && sha256sum model.int8.onnx model.int8.threshold.json metrics.csv report.svg \
  fp32/best.h5 qat/best.h5); }
published >"$work/published.before"
cp "$run/report.json" "$work/report.before.json"

export QAT_FLAGS="--threads 2"
expect ab 0 "" -- "$root/scripts/ab" "$work/tiny.yaml" "$qat"
expect_stdout ab-says "wrote $run/ab.md, $run/ab.json, report.json[\"ab\"] and report.html"

# ab.md: a header, the separator and four rows, in order.
rows=$(grep -c '^| ' "$run/ab.md")
[ "$rows" = 6 ] && echo "ok ab-md-lines" || { echo "FAIL ab-md-lines: $rows table lines"; failures=$((failures + 1)); }
got=$(grep '^| ' "$run/ab.md" | tail -n 4 | cut -d'|' -f2 | sed 's/ *$//;s/^ *//' | paste -sd,)
# This run keeps PTQ (qat.selected "ptq"), so the QAT row is its last (only) epoch, labelled so.
want="ptq,ptq class_balanced,ptq minmax,qat epoch 1 (ptq selected)"
[ "$got" = "$want" ] && echo "ok ab-md-rows" || { echo "FAIL ab-md-rows: '$got', expected '$want'"; failures=$((failures + 1)); }
head -n 6 "$run/ab.md" | grep -q '^| row | sampling | observer | recall | precision_agreement | median_iou | confidence_mae | recall\[' &&
  echo "ok ab-md-columns" || { echo "FAIL ab-md-columns"; head -n 6 "$run/ab.md"; failures=$((failures + 1)); }

expect_js 'JSON.stringify(report.ab) === JSON.stringify(ab)' true ab-json-is-report-ab
expect_js 'ab.rows.map(r => r.sampling + "/" + r.observer).join(",")' \
  "random/percentile,class_balanced/percentile,random/minmax,random/percentile" ab-settings
# The PTQ row with the recipe's calibration: the run's PTQ epoch, figure for figure.
expect_js 'const p = report.qat.epochs[0], b = p.at_teacher_threshold, r = ab.rows[0];
  const want = {recall: b.recall, precision_agreement: b.precision_agreement, median_iou: b.median_iou,
    confidence_mae: b.confidence_mae, threshold: p.threshold};
  b.teacher_per_class.forEach((n, c) => { if (n > 0) want["recall[" + report.data.classes[c] + "]"] = b.recall_per_class[c]; });
  Object.keys(want).length > 5 && Object.keys(want).every(k => r[k] === want[k]) ? "same" : JSON.stringify([want, r])' \
  same ab-ptq-is-run-ptq
expect_js report.qat.selected ptq run-keeps-ptq
expect_js 'const e = report.qat.epochs[1].at_teacher_threshold, r = ab.rows[3];
  [r.recall === e.recall, r.median_iou === e.median_iou, r.confidence_mae === e.confidence_mae,
   r.threshold === report.qat.epochs[1].threshold, r.seconds === report.timings.calibrate_s + report.timings.qat_s].join()' \
  true,true,true,true,true ab-qat-is-selected
expect_js 'ab.rows.every(r => r.threshold === 0.01 && r.seconds > 0)' true ab-thresholds-seconds
expect_js 'delete report.ab; JSON.stringify(report) === JSON.stringify(JSON.parse(fs.readFileSync(run + "/../../report.before.json")))' \
  true report-otherwise-unchanged
published | cmp -s - "$work/published.before" && echo "ok published-unchanged" ||
  { echo "FAIL published files changed"; failures=$((failures + 1)); }
[ -e "$run/ptq" ] && { echo "FAIL ab wrote the run's ptq/"; failures=$((failures + 1)); }

# report.html: still XHTML, and its A/B section is ab.md's table, header and cells, text for text.
xmllint --noout --nonet "$run/report.html" && echo "ok html-parses" || { echo "FAIL html-parses"; failures=$((failures + 1)); }
# html_ab ROW: the texts of report.html's A/B table row ROW (0: the header) joined by "|";
# md_ab ROW: the same of ab.md's table (its separator line skipped).
html_ab() {
  node -e 'const html = require("fs").readFileSync(process.argv[1], "utf8");
    const section = (html.match(/<section id="ab">[\s\S]*?<\/section>/) || [""])[0];
    const rows = [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
      [...m[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1].replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&amp;/g, "&")));
    console.log((rows[process.argv[2]] || []).join("|"))' "$run/report.html" "$1"
}
md_ab() { grep '^| ' "$run/ab.md" | sed '2d' | sed -n "$(($1 + 1))p" | sed 's/^| //;s/ |$//;s/ | /|/g'; }
for i in 0 1 2 3 4; do
  got=$(html_ab $i) want=$(md_ab $i)
  [ -n "$want" ] && [ "$got" = "$want" ] && echo "ok html-ab-row-$i" ||
    { echo "FAIL html-ab-row-$i: report.html '$got', ab.md '$want'"; failures=$((failures + 1)); }
done
# The PTQ row's recall as ab.md prints it (the fourth column).
ptq_recall=$(md_ab 1 | cut -d'|' -f4)
grep -qF "<td data-ref=\"/ab/rows/0/recall\" data-decimals=\"4\">$ptq_recall</td>" "$run/report.html" &&
  echo "ok html-ptq-recall $ptq_recall" || { echo "FAIL html-ptq-recall: $ptq_recall not in report.html"; failures=$((failures + 1)); }

# qat report RUN_DIR: the same page again from report.json; the path named when it is no run.
cp "$run/report.html" "$work/report.after-ab.html"
expect report 0 "" -- "$qat" report "$run"
expect_stdout report-says "wrote $run/report.html and $run/report.svg"
cmp -s "$run/report.html" "$work/report.after-ab.html" && echo "ok report-same-page" ||
  { echo "FAIL report-same-page"; failures=$((failures + 1)); }
expect report-no-dir 2 "error: $work/nope: no such run directory" -- "$qat" report "$work/nope"
mkdir -p "$work/empty"
expect report-no-json 2 \
  "error: $work/empty/report.json: missing: not a run directory, or \`qat train\` has not written its report yet" -- \
  "$qat" report "$work/empty/"
[ -e "$work/empty/.lock" ] || [ -e "$work/empty/report.html" ] &&
  { echo "FAIL report-no-json left files in $work/empty"; failures=$((failures + 1)); }
mkdir -p "$work/bad" && printf '{not json' >"$work/bad/report.json"
expect report-not-json 2 "" -- "$qat" report "$work/bad"
grep -q "^error: $work/bad/report.json: not JSON: \[json.exception.parse_error.101\]" "$work/err" &&
  echo "ok report-not-json-says" || { echo "FAIL report-not-json-says"; cat "$work/err"; failures=$((failures + 1)); }
[ -e "$work/bad/report.html" ] && { echo "FAIL report-not-json wrote report.html"; failures=$((failures + 1)); }

exit $((failures > 0))
