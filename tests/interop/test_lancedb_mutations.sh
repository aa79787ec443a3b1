#!/usr/bin/env bash
# Interop of row changes with LanceDB (npm @lancedb/lancedb 0.37.1 and 0.39.0, installed
# as test_lancedb.sh installs them), for each version and storage version 2.1 and 2.2:
#   1. geneva deletes rows (Arrow deletion files, a fragment removed whole), then
#      updates rows (new fragments for the rewritten rows): LanceDB reads every value
#      of every row, countRows (also with a filter) and the versions; then LanceDB
#      appends and deletes on top of our deletion files, and geneva counts as it does
#      and reads our fragments with LanceDB's deletions.
#   2. geneva deletes half of a 12000-row fragment (a Roaring .bin deletion file), then
#      more rows of it (merged): LanceDB reads every row.
#   3. LanceDB creates a table; geneva deletes from it; LanceDB reads it, and geneva
#      counts and scans what LanceDB counts and reads; geneva updates rows of it and
#      LanceDB reads every value.
#
#   bash test_lancedb_mutations.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_NPM_CACHE=DIR shares the npm installs between build directories;
# GNV_LANCEDB_VERSIONS="0.39.0" limits the versions. Exits 77 (skipped) when node/npm or
# the packages are missing, unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-mutations
GEN=$BUILD/gen_all_types

interop_need_node
[ -x "$GEN" ] || { echo "FAIL: $GEN is not built"; exit 1; }

lancedb_npm_setup "$SRC"/tests/interop/lancedb_*.mjs \
    "$SRC"/tests/interop/arrow_js_common.mjs "$SRC"/tests/interop/arrow_js_compare.mjs

rm -rf "$WORK"
mkdir -p "$WORK/gen" "$WORK/out"
# keep_ids AWK-CONDITION < JSONL: the lines whose "id" satisfies the condition on `id`.
keep_ids() {
    awk -F'"id":' "{ split(\$2, a, /[,}]/); id = a[1] + 0; if ($1) print }"
}

"$GEN" "$WORK/gen" >/dev/null || { echo "FAIL: gen_all_types failed"; exit 1; }
first=$(echo "$VERSIONS" | awk '{print $1}')
node "$NPMBASE/npm-lancedb-$first/lancedb_check.mjs" prep "$WORK/gen/geneva_all.arrow" "$WORK/gen" ||
    { echo "FAIL: lancedb_check.mjs prep failed"; exit 1; }
G=$WORK/gen
# 12000 rows (id, name) for one fragment with a bitmap deletion file.
{
    echo "id,name"
    awk 'BEGIN { for (i = 0; i < 12000; i++) printf "%d,n%d\n", i, i }'
} >"$G/big.csv"
awk 'BEGIN { for (i = 0; i < 12000; i++) printf "{\"id\":%d,\"name\":\"n%d\"}\n", i, i }' \
    >"$G/big.jsonl"

for v in $VERSIONS; do
    NPM=$NPMBASE/npm-lancedb-$v
    CHECK="node $NPM/lancedb_check.mjs"
    DB=$WORK/db-$v
    echo "== LanceDB $v"

    for sv in 2.1 2.2; do
        tb=mut_${sv/./}
        echo "-- 1. geneva deletes and updates ($tb), LanceDB reads"
        run "geneva create $tb" geneva create "$DB" "$tb" --from "$G/all.arrow" \
            --storage-version "$sv" --max-rows-per-file 7 -q || continue
        run "geneva delete from $tb" geneva delete "$DB" "$tb" --where 'id % 5 = 1' -q
        run "geneva delete fragment 0 of $tb" geneva delete "$DB" "$tb" --where 'id < 7' -q
        keep_ids 'id % 5 != 1 && id >= 7' <"$G/all.jsonl" >"$WORK/out/$tb.del.jsonl"
        same "$(geneva count "$DB" "$tb")" "$(wc -l <"$WORK/out/$tb.del.jsonl" | tr -d ' ')" \
            "geneva count $tb after the deletes"
        ls "$DB/$tb.lance/_deletions/" | grep -q '\.arrow$' ||
            fail "$tb: no Arrow deletion file was written"
        run "LanceDB $v reads $tb after geneva's deletes" \
            $CHECK read "$DB" "$tb" "$WORK/out/$tb.del.jsonl" 3
        run "geneva update $tb" geneva update "$DB" "$tb" --where 'id % 3 = 0' \
            --set "s=concat(s, '!')" --set 'i64=id * 10' --set 'f64=NULL' -q
        out=$WORK/out/$tb.upd.jsonl
        geneva scan "$DB" "$tb" --format jsonl >"$out" 2>"$out.err" ||
            fail "geneva scan $tb after the update: $(head -n 3 "$out.err")"
        same "$(wc -l <"$out" | tr -d ' ')" "$(wc -l <"$WORK/out/$tb.del.jsonl" | tr -d ' ')" \
            "rows of $tb after the update"
        # the updated rows moved to the end, with their new values
        n3=$(keep_ids 'id % 3 == 0' <"$WORK/out/$tb.del.jsonl" | wc -l | tr -d ' ')
        same "$(tail -n "$n3" "$out" | keep_ids 'id % 3 == 0' | grep -c '"f64":null')" "$n3" \
            "updated rows of $tb at the end, with f64 NULL"
        grep -q '"id":9,.*"i64":90,' "$out" || fail "$tb: row 9 does not have i64 = 90"
        run "LanceDB $v reads $tb after geneva's update" $CHECK read "$DB" "$tb" "$out" 4
        # LanceDB appends and deletes on top, extending our deletion files
        run "LanceDB $v appends to and deletes from $tb" \
            $CHECK modify "$DB" "$tb" "$G/all.arrow" "$WORK/out/$tb.lancedb.jsonl" || continue
        same "$(geneva count "$DB" "$tb")" "$(tail -n 1 "$WORK/out/run.$checks.log")" \
            "geneva count $tb after LanceDB's delete"
        keep_ids 'id % 7 != 3' <"$out" >"$WORK/out/$tb.ours.jsonl"
        n=$(wc -l <"$WORK/out/$tb.ours.jsonl" | tr -d ' ')
        checks=$((checks + 1))
        geneva scan "$DB" "$tb" --limit "$n" --format jsonl >"$out.after" 2>&1 &&
            node "$NPM/arrow_js_compare.mjs" rows "$WORK/out/$tb.ours.jsonl" "$out.after" \
                "$G/all.floats.json" ||
            fail "geneva scan $tb of our fragments after LanceDB's delete: $(head -n 3 "$out.after")"
    done

    echo "-- 2. a bitmap deletion file, LanceDB reads"
    tb=big
    run "geneva create $tb" geneva create "$DB" "$tb" --from "$G/big.csv" -q
    run "geneva delete half of $tb" geneva delete "$DB" "$tb" --where 'id % 2 = 0' -q
    ls "$DB/$tb.lance/_deletions/" | grep -q '\.bin$' ||
        fail "$tb: no bitmap deletion file was written"
    keep_ids 'id % 2 == 1' <"$G/big.jsonl" >"$WORK/out/$tb.1.jsonl"
    run "LanceDB $v reads $tb" $CHECK read "$DB" "$tb" "$WORK/out/$tb.1.jsonl" 2
    run "geneva delete more of $tb" geneva delete "$DB" "$tb" --where 'id < 5000 OR id = 11999' -q
    keep_ids 'id % 2 == 1 && id >= 5000 && id != 11999' <"$G/big.jsonl" >"$WORK/out/$tb.2.jsonl"
    run "LanceDB $v reads $tb after the merged deletes" \
        $CHECK read "$DB" "$tb" "$WORK/out/$tb.2.jsonl" 3

    echo "-- 3. LanceDB creates, geneva deletes, LanceDB reads"
    tb=theirs
    run "LanceDB $v creates $tb" $CHECK create "$DB" "$tb" "$WORK/out/$tb.first.jsonl" \
        "$WORK/out/$tb.more.jsonl" || continue
    run "geneva delete from LanceDB's $tb" geneva delete "$DB" "$tb" --where 'id % 4 = 1' -q
    keep_ids 'id % 4 != 1' <"$WORK/out/$tb.first.jsonl" >"$WORK/out/$tb.del.jsonl"
    run "LanceDB $v reads $tb after geneva's delete" \
        $CHECK read "$DB" "$tb" "$WORK/out/$tb.del.jsonl" 2
    same "$(geneva count "$DB" "$tb")" "$(wc -l <"$WORK/out/$tb.del.jsonl" | tr -d ' ')" \
        "geneva count $tb"
    # our scan of LanceDB's table may stop at an encoding we do not decode yet; the
    # count above reads the manifests only
    out=$WORK/out/$tb.geneva.jsonl
    echo '{"vec": 32}' >"$WORK/out/$tb.floats.json"
    checks=$((checks + 1))
    if geneva scan "$DB" "$tb" --format jsonl >"$out" 2>"$out.err"; then
        node "$NPM/arrow_js_compare.mjs" rows "$WORK/out/$tb.del.jsonl" "$out" \
            "$WORK/out/$tb.floats.json" || fail "geneva scan $tb differs from LanceDB's rows"
    elif grep -Eq "unsupported Lance encoding '[^']+'" "$out.err"; then
        echo "   note: $tb: $(head -n 1 "$out.err")"
        continue
    else
        fail "geneva scan $tb: $(head -n 3 "$out.err")"
        continue
    fi
    # an update rewrites rows of LanceDB's fragment into one of ours
    run "geneva update LanceDB's $tb" geneva update "$DB" "$tb" --where 'id < 10 OR score IS NULL' \
        --set 'score=CAST(id AS DOUBLE) + 0.5' --set "name=concat('u', name)" -q || continue
    geneva scan "$DB" "$tb" --format jsonl >"$out.upd" 2>"$out.err" ||
        fail "geneva scan $tb after the update: $(head -n 3 "$out.err")"
    # concat() skips NULLs, so every updated row's name starts with 'u'
    same "$(grep -c '"name":"u' "$out.upd")" \
        "$(keep_ids 'id < 10 || id % 6 == 4' <"$WORK/out/$tb.del.jsonl" | wc -l | tr -d ' ')" \
        "updated names in $tb"
    run "LanceDB $v reads $tb after geneva's update" $CHECK read "$DB" "$tb" "$out.upd" 3
done

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed (outputs in $WORK/out)"
    exit 1
fi
echo "all $checks LanceDB mutation interop checks passed"
