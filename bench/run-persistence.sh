#!/usr/bin/env bash
# Persistent-session QoS 1: Conduit on PostgreSQL (durable ack on, durable ack off) against Mosquitto with
# persistence, on this machine, over loopback only.
#
# Starts a private PostgreSQL, two Conduits (one per durable-ack setting, each with its own database) and a
# Mosquitto, warms the Conduits up, then runs the bench against them in turn (A B C A B C ...) and prints every run,
# the medians and the Conduit/Mosquitto ratios. Everything it starts is stopped and its temp dir removed on exit.
#
#   bench/run-persistence.sh                       # 3 rounds x 15 s, payloads 16 B and 1 KiB
#   ROUNDS=2 DURATION=10 bench/run-persistence.sh
#   SCENARIOS=persistent-qos1,persistent-qos1-rate bench/run-persistence.sh
#   PROFILE=1 bench/run-persistence.sh             # plus one JFR-profiled durable run at the end
#
# Settings (environment): ROUNDS [3], DURATION [15] and WARMUP [5] seconds per run, DRAIN [30] most seconds to wait
# for deliveries after publishing stopped, PAYLOADS [16,1024],
# SCENARIOS [persistent-qos1], PUBLISHERS [4], WINDOW [128], RATE [bench default], PROTOCOL [3.1.1],
# TARGETS [durable nondurable mosquitto], BUILD [1: mvn -o package first; 0: use the jars as they are],
# PROFILE [0], CONDUIT_JAVA_OPTS [none], OUT [bench/target/results-<time>], BENCH_THREADS [1].
# Before/after comparisons: TARGETS may also name durable-base and nondurable-base, which run the Conduit build in
# BASELINE_JAR [bench/target/baseline-app/quarkus-run.jar] (e.g. a copy of gateway/target/quarkus-app made from an
# earlier commit), interleaved with the others.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5}
DRAIN=${DRAIN:-30}
PAYLOADS=${PAYLOADS:-16,1024}
SCENARIOS=${SCENARIOS:-persistent-qos1}
PUBLISHERS=${PUBLISHERS:-4}
WINDOW=${WINDOW:-128}
RATE=${RATE:-}
PROTOCOL=${PROTOCOL:-3.1.1}
TARGETS=${TARGETS:-durable nondurable mosquitto}
PROFILE=${PROFILE:-0}
BENCH_THREADS=${BENCH_THREADS:-1}
OUT=${OUT:-$ROOT/bench/target/results-$(date +%Y%m%d-%H%M%S)}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
BASELINE_JAR=${BASELINE_JAR:-$ROOT/bench/target/baseline-app/quarkus-run.jar}

mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
RUNS_MD=$OUT/runs.md
WORK=$(mktemp -d /tmp/conduit-bench.XXXXXX)
chmod 755 "$WORK"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PGPORT=""
RESERVED_PORTS=""

cleanup() {
    set +e
    stop_started
    if [[ -n $PGPORT && -f $WORK/pg/postmaster.pid ]]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1
    fi
    cp "$WORK"/*.log "$WORK"/pglog/*.log "$OUT"/ 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The postmaster and all its children (backends, walwriter, checkpointer ...).
pg_pids() {
    local master
    master=$(head -1 "$WORK/pg/postmaster.pid" 2>/dev/null) || return 0
    echo "$master"
    for s in /proc/[0-9]*/stat; do
        awk -v m="$master" '{ sub(/^.*\) /, ""); if ($2 == m) { split(FILENAME, a, "/"); print a[3] } }' "$s" \
            2>/dev/null
    done
}

start_postgres() {
    PGPORT=$(free_port)
    RESERVED_PORTS=$PGPORT
    mkdir -p "$WORK/pg" "$WORK/pgsock" "$WORK/pglog"
    chown postgres: "$WORK/pg" "$WORK/pgsock" "$WORK/pglog"
    runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -U conduit --auth=trust -E UTF8 >"$WORK/initdb.log" 2>&1
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pglog/postgres.log" -w -t 60 \
        -o "-p $PGPORT -k $WORK/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
    for db in conduit_durable conduit_nondurable conduit_durable_base conduit_nondurable_base; do
        runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U conduit "$db"
    done
    log "PostgreSQL 15 on 127.0.0.1:$PGPORT (fsync and synchronous_commit at their defaults: on)"
}

# A Conduit on the private PostgreSQL: durable ack on or off, its own database.
start_store_conduit() { # name durable-ack database [jar]
    start_conduit "$1" "${4:-$CONDUIT_JAR}" CONDUIT_MQTT_LIMITS_MAX_QUEUED_MESSAGES=1000000 \
        CONDUIT_PERSISTENCE_DURABLE_ACK="$2" QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PGPORT/$3" \
        QUARKUS_DATASOURCE_USERNAME=conduit QUARKUS_DATASOURCE_PASSWORD=
}

start_persistent_mosquitto() {
    mkdir -p "$WORK/mosquitto"
    chown mosquitto: "$WORK/mosquitto"
    start_mosquitto mosquitto "persistence true" "persistence_location $WORK/mosquitto/" "autosave_interval 1" \
        "max_queued_messages 0" "max_queued_bytes 0" "max_inflight_messages 32"
}

label_of() {
    case $1 in
        durable) echo conduit-durable ;;
        nondurable) echo conduit-nondurable ;;
        durable-base) echo conduit-durable-baseline ;;
        nondurable-base) echo conduit-nondurable-baseline ;;
        *) echo "$1" ;;
    esac
}

# The brokers and PostgreSQL idle again (autovacuum of the queue table, a backlog).
settle_all() {
    local pids
    mapfile -t pids < <(printf '%s\n' "${PID[@]}"; pg_pids)
    settle "${pids[@]}"
}

# One bench invocation against a target; extra arguments go to the bench.
bench() { # target duration warmup json-file [args...]
    local target=$1 duration=$2 warmup=$3 json=$4
    shift 4
    local args=(--port "${PORT[$target]}" --label "$(label_of "$target")" --scenario "$SCENARIOS"
        --payload "$PAYLOADS" --publishers "$PUBLISHERS" --window "$WINDOW" --protocol "$PROTOCOL"
        --duration "$duration" --warmup "$warmup" --drain "$DRAIN" --threads "$BENCH_THREADS" --json-out "$json" --no-header)
    [[ -n $RATE ]] && args+=(--rate "$RATE")
    local pids=("${PID[$target]}")
    mapfile -t -O 1 pids < <(pg_pids)
    local broker0 pg0 t0 broker1 pg1 t1 status=0 committed0="" cancelled0=""
    settle_all
    if [[ $target != mosquitto ]]; then
        committed0=$(metric "$target" conduit_persistence_committed_total)
        cancelled0=$(metric "$target" conduit_persistence_cancelled_total)
    fi
    broker0=$(cpu_ticks "${PID[$target]}"); pg0=$(cpu_ticks "${pids[@]:1}"); t0=$(date +%s.%N)
    local up0; up0=$(uptime)
    timeout 900 java -jar "$BENCH_JAR" "${args[@]}" "$@" | grep '^|' | tee -a "$RUNS_MD" \
        || status=$?
    broker1=$(cpu_ticks "${PID[$target]}"); mapfile -t -O 1 pids < <(pg_pids)
    pg1=$(cpu_ticks "${pids[@]:1}"); t1=$(date +%s.%N)
    local hz; hz=$(getconf CLK_TCK)
    awk -v b=$((broker1 - broker0)) -v p=$((pg1 - pg0)) -v t0="$t0" -v t1="$t1" -v hz="$hz" -v n="$target" \
        -v u0="${up0##*load average: }" -v u1="$(uptime | sed 's/.*load average: //')" \
        'BEGIN { w = t1 - t0; printf "  %s: wall %.1f s, broker CPU %.0f%%, PostgreSQL CPU %.0f%% (of one core, whole bench process incl. warm-up/drain); load %s -> %s\n", n, w, 100*b/hz/w, 100*p/hz/w, u0, u1 }' \
        | tee -a "$RUNS_MD" >&2
    if [[ $target != mosquitto ]]; then
        echo "  $target: database writes committed $(delta "$(metric "$target" conduit_persistence_committed_total)" \
            "$committed0"), taken back before reaching the database $(delta "$(metric "$target" \
            conduit_persistence_cancelled_total)" "$cancelled0")" | tee -a "$RUNS_MD" >&2
    fi
    if ((status != 0)); then
        log "bench against $target exited with $status (errors or lost messages; see the row above)"
    fi
}

# Top frames and threads of a JFR recording's execution samples.
jfr_summary() {
    local f=$1 samples
    jfr print --events jdk.ExecutionSample --stack-depth 64 "$f" >"$f.samples.txt" 2>/dev/null || return 0
    samples=$(grep -c 'jdk.ExecutionSample' "$f.samples.txt" || true)
    echo "### JFR execution samples: $samples"
    echo
    echo "top frames (self):"
    awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print }' "$f.samples.txt" \
        | sort | uniq -c | sort -rn | head -25
    echo
    echo "threads:"
    grep 'sampledThread' "$f.samples.txt" | sed 's/.*= "//; s/" .*//; s/-[0-9]*$//' | sort | uniq -c | sort -rn \
        | head -12
    echo
    echo "frames anywhere in the stack (inclusive), io.conduit and JDBC:"
    awk '/jdk.ExecutionSample/ { delete seen } /^[ \t]+[a-z].*line:/ { l = $0; sub(/^[ \t]+/, "", l);
        sub(/line:.*/, "", l); if (!(l in seen)) { seen[l] = 1; print l } }' "$f.samples.txt" \
        | grep -E 'io\.conduit|org\.postgresql|agroal' | sort | uniq -c | sort -rn | head -30
}

log "machine: $(machine)"
build_jars

start_postgres
for t in $TARGETS; do
    case $t in
        durable) start_store_conduit durable true conduit_durable ;;
        nondurable) start_store_conduit nondurable false conduit_nondurable ;;
        durable-base) start_store_conduit durable-base true conduit_durable_base "$BASELINE_JAR" ;;
        nondurable-base) start_store_conduit nondurable-base false conduit_nondurable_base "$BASELINE_JAR" ;;
        mosquitto) start_persistent_mosquitto ;;
        *) log "unknown target $t"; exit 1 ;;
    esac
done

{
    echo "# persistent QoS 1 runs, $(date -Is)"
    echo
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; scenarios $SCENARIOS, payloads" \
        "$PAYLOADS, $PUBLISHERS publishers x window $WINDOW, MQTT $PROTOCOL, $ROUNDS rounds x ${DURATION}s" \
        "(+${WARMUP}s warm-up)"
    echo
} >>"$RUNS_MD"

# The JIT of a fresh JVM needs a while at full load: one unrecorded run per Conduit.
for t in $TARGETS; do
    [[ $t == mosquitto ]] && continue
    log "warming up $t (not recorded)"
    bench "$t" 10 2 "$OUT/warmup.jsonl" >/dev/null
done

java -jar "$BENCH_JAR" header | tee -a "$RUNS_MD"
for round in $(seq "$ROUNDS"); do
    for t in $TARGETS; do
        log "round $round/$ROUNDS: $t"
        bench "$t" "$DURATION" "$WARMUP" "$RESULTS"
    done
done

if [[ $PROFILE == 1 && -n ${PID[durable]:-} ]]; then
    log "profiling conduit-durable with JFR (extra run, not in the medians)"
    jcmd "${PID[durable]}" JFR.start name=bench settings=profile delay="${WARMUP}s" duration="${DURATION}s" \
        filename="$OUT/conduit-durable.jfr" >/dev/null
    bench durable "$DURATION" "$WARMUP" "$OUT/profile.jsonl"
    sleep 2
    jfr_summary "$OUT/conduit-durable.jfr" | tee "$OUT/profile.md"
    log "JFR recording: $OUT/conduit-durable.jfr"
fi

echo
echo "## medians over $ROUNDS rounds ($RESULTS)"
echo
java -jar "$BENCH_JAR" summarize "$RESULTS" --baseline mosquitto | tee "$OUT/summary.md"
log "results in $OUT"
