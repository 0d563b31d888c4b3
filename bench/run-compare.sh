#!/usr/bin/env bash
# Conduit (the packaged gateway, sessions in memory, anonymous clients) against Mosquitto (Debian's, in memory,
# anonymous), both on loopback with comparable per-client limits, on this machine.
#
# Runs the chosen scenarios (every scenario x QoS x payload is one case) against the targets in turn, case by case
# (A B A B ...), for ROUNDS rounds, waiting before each run until the brokers are idle, and prints every run, the
# medians and the Conduit/Mosquitto ratios as markdown tables. Everything it starts is stopped and its temp dir
# removed on exit.
#
#   bench/run-compare.sh                                   # everything, 3 rounds x 10 s (+3 s warm-up)
#   ROUNDS=1 DURATION=2 WARMUP=1 CONNECTIONS=2000 BUILD=0 bench/run-compare.sh     # a smoke run
#   SCENARIOS=fan-in,fan-out QOS=0,1 PAYLOADS=16 bench/run-compare.sh
#   SCENARIOS=connections CONNECTIONS=100000 CONNECT_RATE=5000 bench/run-compare.sh
#
# Settings (environment), defaults in brackets:
#   ROUNDS [3]; DURATION [10], WARMUP [3] seconds per message run; DRAIN [10] most seconds to wait for deliveries
#   SCENARIOS [fan-in,fan-out,pairs,latency,connections]; QOS [0,1,2]; PAYLOADS [16,1024]
#   PUBLISHERS [4], SUBSCRIBERS [4], WINDOW [128], WINDOW_QOS2 [32], RATE [1000: the latency scenario's msg/s]
#   PROTOCOL [3.1.1], BENCH_THREADS [1]
#   MAX_QUEUED [1000] and MAX_INFLIGHT [32] messages per client, MAX_PACKET [1048576] bytes: both brokers
#   CONNECTIONS [100000, capped by the open-file limit], CONNECT_RATE [5000]/s, HOLD [10] s,
#   FRESH_FOR_CONNECTIONS [1: restart each broker right before its connection run, so that its RSS growth is the
#   connections' and not refilled free memory of earlier runs]
#   BENCH_USERNAME, BENCH_PASSWORD [none]: credentials in every CONNECT ({i}: the connection's number);
#   MOSQUITTO_AUTH [0; 1: Mosquitto gets a password file with that one user and refuses anonymous clients];
#   CONDUIT_ENV [none]: more VAR=value settings for Conduit (e.g. its credential store)
#   TARGETS [conduit mosquitto]; conduit-base runs the build in BASELINE_JAR
#   [bench/target/baseline-app/quarkus-run.jar] for before/after comparisons
#   CONDUIT_JAVA_OPTS [-Xmx2g], BUILD [1: mvn -o package first; 0: use the jars as they are],
#   OUT [bench/target/compare-<time>]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
DRAIN=${DRAIN:-10}
SCENARIOS=${SCENARIOS:-fan-in,fan-out,pairs,latency,connections}
QOS=${QOS:-0,1,2}
PAYLOADS=${PAYLOADS:-16,1024}
PUBLISHERS=${PUBLISHERS:-4}
SUBSCRIBERS=${SUBSCRIBERS:-4}
WINDOW=${WINDOW:-128}
WINDOW_QOS2=${WINDOW_QOS2:-32}
RATE=${RATE:-1000}
PROTOCOL=${PROTOCOL:-3.1.1}
BENCH_THREADS=${BENCH_THREADS:-1}
MAX_QUEUED=${MAX_QUEUED:-1000}
MAX_INFLIGHT=${MAX_INFLIGHT:-32}
MAX_PACKET=${MAX_PACKET:-1048576}
CONNECTIONS=${CONNECTIONS:-100000}
CONNECT_RATE=${CONNECT_RATE:-5000}
HOLD=${HOLD:-10}
FRESH_FOR_CONNECTIONS=${FRESH_FOR_CONNECTIONS:-1}
BENCH_USERNAME=${BENCH_USERNAME:-}
BENCH_PASSWORD=${BENCH_PASSWORD:-}
MOSQUITTO_AUTH=${MOSQUITTO_AUTH:-0}
CONDUIT_ENV=${CONDUIT_ENV:-}
TARGETS=${TARGETS:-conduit mosquitto}
BASELINE_JAR=${BASELINE_JAR:-$ROOT/bench/target/baseline-app/quarkus-run.jar}
CONDUIT_JAVA_OPTS=${CONDUIT_JAVA_OPTS:--Xmx2g}
OUT=${OUT:-$ROOT/bench/target/compare-$(date +%Y%m%d-%H%M%S)}

mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
RUNS_MD=$OUT/runs.md
WORK=$(mktemp -d /tmp/conduit-compare.XXXXXX)
chmod 755 "$WORK"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cleanup() {
    set +e
    stop_started
    cp "$WORK"/*.log "$WORK"/*.conf "$OUT"/ 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every connection is an open file in the broker (and in the bench, which spreads them over several JVMs itself):
# lift the soft limit to the hard one, which the brokers inherit, and cap the connection run at what fits.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FILES=$(ulimit -n)
REQUESTED_CONNECTIONS=$CONNECTIONS
if [[ $FILES != unlimited ]] && ((CONNECTIONS > FILES - 1000)); then
    log "CONNECTIONS=$CONNECTIONS needs an open-file limit (ulimit -Hn) above $((CONNECTIONS + 1000)) for the broker;" \
        "it is $FILES here, so the connection run opens $((FILES - 1000))"
    CONNECTIONS=$((FILES - 1000))
fi

start_target() { # target
    local env=(CONDUIT_MQTT_LIMITS_MAX_QUEUED_MESSAGES="$MAX_QUEUED"
        CONDUIT_MQTT_LIMITS_MAX_INFLIGHT="$MAX_INFLIGHT" CONDUIT_MQTT_LIMITS_MAX_PACKET_SIZE="$MAX_PACKET")
    # shellcheck disable=SC2206
    env+=($CONDUIT_ENV)
    case $1 in
        conduit) start_conduit "$1" "$CONDUIT_JAR" "${env[@]}" ;;
        conduit-base) start_conduit "$1" "$BASELINE_JAR" "${env[@]}" ;;
        mosquitto)
            local auth=()
            if [[ $MOSQUITTO_AUTH == 1 ]]; then
                mosquitto_passwd -b -c "$WORK/passwd" "$BENCH_USERNAME" "$BENCH_PASSWORD"
                chmod 644 "$WORK/passwd"
                auth=("allow_anonymous false" "password_file $WORK/passwd")
            fi
            start_mosquitto "$1" "persistence false" "max_queued_messages $MAX_QUEUED" "max_queued_bytes 0" \
                "max_inflight_messages $MAX_INFLIGHT" "max_inflight_bytes 0" "max_packet_size $MAX_PACKET" \
                "max_connections -1" "${auth[@]}"
            ;;
        *) log "unknown target $1"; exit 1 ;;
    esac
}

# One bench invocation (one case) against a target; its row goes to runs.md, its JSON to the given file.
bench() { # target json-file scenario [bench args...]
    local target=$1 json=$2 scenario=$3
    shift 3
    local args=(--port "${PORT[$target]}" --label "$target" --scenario "$scenario" --protocol "$PROTOCOL"
        --threads "$BENCH_THREADS" --json-out "$json" --no-header)
    [[ -n $BENCH_USERNAME ]] && args+=(--username "$BENCH_USERNAME")
    [[ -n $BENCH_PASSWORD ]] && args+=(--password "$BENCH_PASSWORD")
    local limit=$((DURATION + WARMUP + DRAIN + 120))
    if [[ $scenario == connections ]]; then
        args+=(--connections "$CONNECTIONS" --connect-rate "$CONNECT_RATE" --hold "$HOLD" --broker-pid "${PID[$target]}")
        limit=$((CONNECTIONS / (CONNECT_RATE > 0 ? CONNECT_RATE : 1000) + HOLD + 180))
    else
        args+=(--duration "$DURATION" --warmup "$WARMUP" --drain "$DRAIN" --publishers "$PUBLISHERS"
            --subscribers "$SUBSCRIBERS" --window "$WINDOW" --window-qos2 "$WINDOW_QOS2")
        [[ $scenario == latency ]] && args+=(--rate "$RATE")
    fi
    settle "${PID[@]}"
    local t0 c0 c1 load0 status=0
    load0=$(cut -d' ' -f1-3 /proc/loadavg); t0=$(date +%s.%N); c0=$(cpu_ticks "${PID[$target]}")
    timeout "$limit" java -jar "$BENCH_JAR" "${args[@]}" "$@" | grep '^|' | tee -a "$RUNS_MD" || status=$?
    c1=$(cpu_ticks "${PID[$target]}")
    awk -v b=$((c1 - c0)) -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$(getconf CLK_TCK)" -v n="$target" \
        -v u0="$load0" -v u1="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN { w = t1 - t0; printf "  %s: wall %.1f s, broker CPU %.0f%% of one core (whole invocation incl. connect/warm-up/drain); load %s -> %s\n", n, w, 100*b/hz/w, u0, u1 }' \
        | tee -a "$RUNS_MD" >&2
    if ((status != 0)) && [[ -z ${QUIET:-} ]]; then
        log "bench against $target exited with $status (errors or lost acknowledged messages; see the row above)"
    fi
}

# An unrecorded run so that a fresh JVM's JIT has compiled the hot paths before anything is measured.
warm() { # target
    [[ $1 == conduit* ]] || return 0
    log "warming up $1 (not recorded)"
    QUIET=1 bench "$1" "$OUT/warmup.jsonl" fan-in --qos 1 --payload 16 --duration 8 --warmup 2 >/dev/null
}

# The cases of one round: "scenario qos payload", or "connections".
cases() {
    local s q p
    for s in ${SCENARIOS//,/ }; do
        if [[ $s == connections ]]; then
            echo connections
            continue
        fi
        for q in ${QOS//,/ }; do
            for p in ${PAYLOADS//,/ }; do
                echo "$s $q $p"
            done
        done
    done
}

log "machine: $(machine); open files: soft $(ulimit -n), hard $(ulimit -Hn)"
build_jars
for t in $TARGETS; do
    start_target "$t"
done
{
    echo "# Conduit vs Mosquitto, $(date -Is)"
    echo
    echo "machine: $(machine); scenarios $SCENARIOS, QoS $QOS, payloads $PAYLOADS, $PUBLISHERS publishers," \
        "$SUBSCRIBERS subscribers, window $WINDOW (QoS 2: $WINDOW_QOS2), latency at $RATE msg/s, MQTT $PROTOCOL;" \
        "$ROUNDS rounds x ${DURATION}s (+${WARMUP}s warm-up); connections $CONNECTIONS (asked for" \
        "$REQUESTED_CONNECTIONS; open-file limit $FILES) at $CONNECT_RATE/s, held ${HOLD}s; both brokers: max" \
        "queued $MAX_QUEUED, max inflight $MAX_INFLIGHT, max packet $MAX_PACKET;" \
        "Conduit JVM: ${CONDUIT_JAVA_OPTS:-defaults}"
    echo
} >>"$RUNS_MD"
for t in $TARGETS; do
    warm "$t"
done

java -jar "$BENCH_JAR" header | tee -a "$RUNS_MD"
mapfile -t CASES < <(cases)
for round in $(seq "$ROUNDS"); do
    for c in "${CASES[@]}"; do
        read -r scenario qos payload <<<"$c"
        for t in $TARGETS; do
            log "round $round/$ROUNDS: $c: $t"
            if [[ $scenario == connections ]]; then
                if [[ $FRESH_FOR_CONNECTIONS == 1 ]]; then
                    stop_target "$t"
                    start_target "$t"
                fi
                bench "$t" "$RESULTS" connections
                if [[ $FRESH_FOR_CONNECTIONS == 1 ]]; then
                    warm "$t" # a fresh JVM's JIT is cold for the next runs
                fi
            else
                bench "$t" "$RESULTS" "$scenario" --qos "$qos" --payload "$payload"
            fi
        done
    done
done

echo
echo "## medians over $ROUNDS round(s) ($RESULTS)"
echo
java -jar "$BENCH_JAR" summarize "$RESULTS" --baseline mosquitto | tee "$OUT/summary.md"
log "results in $OUT"
