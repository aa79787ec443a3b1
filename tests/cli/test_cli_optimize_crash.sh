#!/usr/bin/env bash
# Crash safety of `geneva optimize`: kill -9 it at random moments, many times (about 15
# seconds in all), and check after each kill that the table opens at a consistent
# version holding every row, in order. When a kill came after the commit, the table is
# restored to its first version so that the next run has work again.
#
# usage: bash test_cli_optimize_crash.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=optimize-crash
. "$(dirname "$0")/lib.sh"

DB=$TMP/db
SEED=${GNV_TEST_SEED:-$$}
echo "GNV_TEST_SEED=$SEED"
RANDOM=$SEED

awk 'BEGIN { print "id,name,price"; for (i = 0; i < 20000; i++) printf "%d,name%d,%.1f\n", i, i, i * 0.5 }' \
    >"$TMP/rows.csv"
expect 0 create "$DB" p --from "$TMP/rows.csv" --max-rows-per-file 50 -q
expect 0 scan "$DB" p -f csv
cp "$TMP/out" "$TMP/want.csv"

# how long an uninterrupted optimize takes, to spread the kills over it
start=$(date +%s%N)
expect 0 optimize -q "$DB" p
span_ms=$((($(date +%s%N) - start) / 1000000 + 20))
expect 0 restore "$DB" p 1

kills=0
committed=0
deadline=$((SECONDS + 15))
while [ $SECONDS -lt $deadline ] && [ $kills -lt 200 ]; do
    "$GENEVA" optimize -q "$DB" p >/dev/null 2>&1 &
    pid=$!
    ms=$((RANDOM % span_ms))
    sleep "$(printf '0.%03d' "$ms")"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    kills=$((kills + 1))
    expect 0 scan "$DB" p -f csv || break
    if ! cmp -s "$TMP/out" "$TMP/want.csv"; then
        fail "after a kill at ${ms} ms the rows differ (seed $SEED)"
        break
    fi
    expect 0 count "$DB" p
    [ "$(cat "$TMP/out")" = 20000 ] || fail "count after a kill: $(cat "$TMP/out")"
    expect 0 versions "$DB" p -f csv
    if tail -n 1 "$TMP/out" | grep -q ",rewrite$"; then
        committed=$((committed + 1))
        expect 0 restore "$DB" p 1 || break
    fi
done
echo "$kills kills, $committed after the commit (span ${span_ms} ms)"
[ $kills -ge 10 ] || fail "only $kills kills"

# the survivors' orphan files do not disturb a last, complete optimize
expect 0 optimize -q "$DB" p
expect 0 scan "$DB" p -f csv
same_text "$TMP/out" "$TMP/want.csv" "rows after a complete optimize"

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
