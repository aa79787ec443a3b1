#!/usr/bin/env bash
# CLI job control: `jobs` and `job` over the geneva_jobs table, `backfill --async`
# (a detached job finishing after its starter exited), `--timeout`, `job --cancel`,
# a job whose every process was killed reported FAILED within one heartbeat interval
# and completed by a resumed run, admission control and the progress output.
#
# usage: bash test_cli_jobs.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=jobs
. "$(dirname "$0")/lib.sh"

# has FILE TEXT WHAT: FILE contains TEXT.
has() {
    grep -qF -- "$2" "$1" || { fail "$3: '$2' not in $(basename "$1")"; show; }
}

need_demo
export GENEVA_HEARTBEAT_SECONDS=1
unset GENEVA_ADMISSION_CHECK GENEVA_ADMISSION_STRICT GENEVA_DEMO_SLEEP_US
DB=$TMP/db
{
    echo x
    for i in $(seq 0 199); do echo "$i.5"; done
} >"$TMP/t.csv"

expect 0 help
grep -q "^  jobs " "$TMP/out" || fail "'geneva help' does not list jobs"
grep -q "^  job " "$TMP/out" || fail "'geneva help' does not list job"
expect 0 job --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva job DB ID" ||
    fail "'geneva job --help' usage line"

expect 0 create "$DB" t --from "$TMP/t.csv" --types x:float64 --max-rows-per-file 20 -q
expect 0 add-column -q "$DB" t d --udf "$DEMO:slow_double" --inputs x

# ---- usage errors, the empty list ----------------------------------------------------
expect_err 2 "missing DB" jobs
expect_err 2 "bad --state 'SLEEPING'" jobs "$DB" --state SLEEPING
expect_err 2 "missing ID" job "$DB"
expect_err 2 "bad --wait" job "$DB" x --wait=soon
expect_err 2 "bad --timeout" backfill "$DB" t d --timeout 0
expect_err 1 "no job 'nope'" job "$DB" nope
expect 0 jobs "$DB" --format csv
[ "$(cat "$TMP/out")" = "id,table,column,state,rows,planned,started,reason" ] ||
    { fail "jobs of a database without jobs"; show; }
[ -e "$DB/__system/geneva_jobs.lance" ] && fail "listing jobs created the job table"

# ---- a synchronous run is recorded; stage times; --quiet ---------------------------
expect 0 backfill "$DB" t d --where 'x < 40'
has "$TMP/err" "backfilled 'd': 40 rows" "summary"
has "$TMP/err" "stages: read " "stage times"
expect 0 jobs "$DB" --format csv
[ "$(wc -l <"$TMP/out")" = 2 ] || { fail "one job listed"; show; }
has "$TMP/out" ",t,d,DONE,40,40," "the job's row"
id1=$(tail -n 1 "$TMP/out" | cut -d, -f1)
expect 0 job "$DB" "$id1"
has "$TMP/out" "state	DONE" "job record"
has "$TMP/out" "rows_committed	40" "job record"
expect 0 backfill -q "$DB" t d --where 'x < 41'
[ -s "$TMP/err" ] && fail "--quiet printed something"

# ---- plain progress lines when stderr is not a terminal -----------------------------
# (inline: the process executor reports progress only when its round of tasks ends)
GENEVA_DEMO_SLEEP_US=3000 GENEVA_PROGRESS_SECONDS=0.2 expect 0 backfill "$DB" t d \
    --where 'x < 80' --checkpoint-size 10 --executor inline
has "$TMP/err" "backfill 'd': " "progress line"
has "$TMP/err" " rows/s" "progress line"
grep -q $'\r' "$TMP/err" && fail "carriage returns in plain progress lines"

# ---- --async: a detached job outlives the command that started it ------------------
export GENEVA_DEMO_SLEEP_US=10000
expect 0 backfill "$DB" t d --where '1=1' --async --checkpoint-size 10
id=$(cat "$TMP/out")
[ ${#id} = 36 ] || { fail "--async printed '$id', not a job id"; show; }
has "$TMP/err" "started job $id" "--async message"
expect 0 jobs "$DB" --format csv
grep -qE "^$id,t,d,(PENDING|RUNNING)," "$TMP/out" ||
    { fail "the detached job is not running after its starter exited"; show; }
expect 0 job "$DB" "$id" --wait 60
has "$TMP/out" "state	DONE" "--wait of the detached job"
has "$TMP/out" "rows_computed	200" "--wait of the detached job"
expect_out "0" count "$DB" t --where 'd IS NULL OR d <> 2 * x'

# ---- --timeout: the command gives up, the job goes on -------------------------------
expect_err 1 "timed out after 0.3 s; job " backfill "$DB" t d --where '1=1' --timeout 0.3 \
    --checkpoint-size 10
id=$(sed -n 's/.*; job \([0-9a-f-]*\) goes on.*/\1/p' "$TMP/err")
[ ${#id} = 36 ] || { fail "no job id in the timeout message"; show; }
expect 0 job -q "$DB" "$id" --wait 60

# ---- cancel: committed work stays -----------------------------------------------------
expect 0 add-column -q "$DB" t e --udf "$DEMO:slow_double" --inputs x
# (inline: the process executor commits only when its round of tasks ends)
expect 0 backfill "$DB" t e --async --checkpoint-size 10 --commit-granularity 1 \
    --executor inline
id=$(cat "$TMP/out")
for _ in $(seq 100); do
    n=$("$GENEVA" count "$DB" t --where 'e IS NOT NULL')
    [ "${n:-0}" -ge 20 ] && break
    sleep 0.1
done
expect 0 job "$DB" "$id" --cancel
has "$TMP/err" "asked job $id to stop" "--cancel message"
expect_err 1 "CANCELLED" job "$DB" "$id" --wait 30
has "$TMP/out" "cancel_requested	true" "record of the cancelled job"
kept=$("$GENEVA" count "$DB" t --where 'e IS NOT NULL')
[ "$kept" -ge 20 ] && [ "$kept" -lt 200 ] || fail "cancel kept $kept rows, expected 20..199"
expect 0 jobs "$DB" --state CANCELLED --format csv
grep -q "^$id," "$TMP/out" || { fail "--state CANCELLED"; show; }

# ---- a job killed with all its processes reads FAILED; a new run completes it --------
# (50 ms a row: its 100 rows take 2.5 s on 2 workers, so it is killed while it runs)
GENEVA_DEMO_SLEEP_US=50000 setsid "$GENEVA" backfill -q "$DB" t e --executor process --concurrency 2 --checkpoint-size 10 \
    >/dev/null 2>&1 &
pid=$!
running=
for _ in $(seq 100); do
    "$GENEVA" jobs "$DB" --state RUNNING --format csv >"$TMP/running" 2>/dev/null
    if grep -q ",t,e,RUNNING," "$TMP/running"; then
        running=1
        break
    fi
    sleep 0.1
done
[ -n "$running" ] || fail "the killed job never ran"
sleep 0.5
kill -9 -- "-$pid"
wait "$pid" 2>/dev/null
start=$(date +%s.%N)
expect 0 jobs "$DB" --table t --state FAILED --format csv
end=$(date +%s.%N)
grep -q ",t,e,FAILED,.*process $pid on .* is gone" "$TMP/out" ||
    { fail "the killed job is not reported FAILED"; show; }
awk -v a="$start" -v b="$end" 'BEGIN { exit !(b - a < 1.0) }' ||
    fail "reporting the killed job took longer than one heartbeat interval"
unset GENEVA_DEMO_SLEEP_US
expect 0 backfill -q "$DB" t e
expect_out "0" count "$DB" t --where 'e IS NULL OR e <> 2 * x'

# ---- admission control ------------------------------------------------------------------
expect 0 add-column -q "$DB" t f --udf "$DEMO:slow_double" --inputs x
# workers that only share the CPUs: a warning, also when strict
GENEVA_ADMISSION_STRICT=1 expect 0 backfill "$DB" t f --where 'x < 4' --executor process \
    --concurrency 4096 --task-size 1000
has "$TMP/err" "geneva backfill: warning: admission: the job asks 4096 workers x 0.5 cpus = 2048 cpus" \
    "cpu warning"
has "$TMP/err" "share them" "cpu warning says the workers share the CPUs"
# more memory than there is: refused (strict is the default), also for --async
printf 'txt\na\nb\n' >"$TMP/e.csv"
expect 0 create "$DB" e --from "$TMP/e.csv" -q
expect 0 add-column -q "$DB" e emb --udf "$DEMO:hash_embed" --inputs txt
expect_err 1 "lower --concurrency" backfill "$DB" e emb --executor process --concurrency 4096
has "$TMP/err" "asks 4096 workers x 64 MiB = 256.0 GiB" "memory refusal"
expect_err 1 "of memory" backfill "$DB" e emb --async --executor process --concurrency 4096
GENEVA_ADMISSION_CHECK=0 expect 0 backfill -q "$DB" e emb --executor process --concurrency 1 \
    --task-size 1000
expect_out "0" count "$DB" e --where 'emb IS NULL'

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
