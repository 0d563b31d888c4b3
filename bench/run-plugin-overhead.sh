#!/usr/bin/env bash
# What a plugin on every message's path costs: fan-in QoS 0 throughput of the packaged gateway with no plugin,
# with a no-op publish interceptor that runs on the plugin's threads, and with the same interceptor marked
# @NonBlocking (called on the network thread). Over loopback, state in memory.
#
# Builds the no-op plugin jars from source into a temp dir (nothing committed), starts one gateway per target, each
# with its own conduit.plugins.dir, warms each up, then runs the bench against them in turn (A B C A B C ...) and
# prints every run, the medians and the ratios to "none". Everything it starts is stopped and its temp dir removed.
#
#   bench/run-plugin-overhead.sh                        # 5 rounds x 15 s, 8 publishers, 64 B
#   ROUNDS=3 DURATION=10 TARGETS="none noop-inline" bench/run-plugin-overhead.sh
#   PROFILE=1 bench/run-plugin-overhead.sh              # plus one JFR-profiled run of noop-inline at the end
#   RATE=8000 bench/run-plugin-overhead.sh              # a fixed total rate: compare broker CPU per message
#
# At full speed (RATE 0) the publishers send as fast as the broker reads, which on a busy machine measures the
# scheduler as much as the broker; at a fixed rate every target gets the same messages and the broker's CPU time per
# message (whole bench process: connect, warm-up, measured phase, drain; divided by rate x (warm-up + duration))
# is the steadier figure.
#
# Settings (environment): ROUNDS [5], DURATION [15], WARMUP [5] seconds, PAYLOADS [64], PUBLISHERS [8],
# RATE [0: full speed], TARGETS [none noop noop-inline], BUILD [1: mvn -o package first; 0: use the jars as they are], PROFILE [0],
# CONDUIT_JAVA_OPTS [none], BENCH_THREADS [1], OUT [bench/target/plugin-overhead-<time>].
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5}
PAYLOADS=${PAYLOADS:-64}
PUBLISHERS=${PUBLISHERS:-8}
RATE=${RATE:-0}
TARGETS=${TARGETS:-none noop noop-inline}
BUILD=${BUILD:-1}
PROFILE=${PROFILE:-0}
BENCH_THREADS=${BENCH_THREADS:-1}
CONDUIT_JAVA_OPTS=${CONDUIT_JAVA_OPTS:-}
OUT=${OUT:-$ROOT/bench/target/plugin-overhead-$(date +%Y%m%d-%H%M%S)}
BENCH_JAR=$ROOT/bench/target/conduit-bench.jar
CONDUIT_JAR=$ROOT/gateway/target/quarkus-app/quarkus-run.jar
API_CLASSES=$ROOT/plugins-api/target/classes

mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
WORK=$(mktemp -d /tmp/conduit-plugin-bench.XXXXXX)
declare -A PID PORT

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
    set +e
    for name in "${!PID[@]}"; do kill "${PID[$name]}" 2>/dev/null; done
    for name in "${!PID[@]}"; do
        for _ in $(seq 50); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
        kill -9 "${PID[$name]}" 2>/dev/null
        wait "${PID[$name]}" 2>/dev/null
    done
    cp "$WORK"/*.log "$OUT"/ 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port below the ephemeral range (32768+), so that no client connection holds it, that nothing uses now.
free_port() {
    local p
    while true; do
        p=$((20000 + RANDOM % 12000))
        if [[ -z $(ss -Htan "sport = :$p") ]] && [[ ! " ${PORT[*]:-} " =~ " $p " ]]; then echo "$p"; return; fi
    done
}

# A plugin jar with one do-nothing publish interceptor; $3 is an annotation line for its class (or empty).
build_noop_plugin() { # id dir annotation
    local id=$1 dir=$2 src=$WORK/src-$1
    mkdir -p "$src/bench" "$src/classes/META-INF" "$dir"
    cat >"$src/bench/Noop.java" <<JAVA
package bench;

import io.conduit.api.Plugin;
import io.conduit.api.PluginContext;
import io.conduit.api.hooks.PublishInterceptor;

$3
public class Noop implements Plugin, PublishInterceptor {
    @Override
    public void start(PluginContext context) {
        context.addPublishInterceptor(this);
    }
}
JAVA
    printf 'id=%s\nname=%s\nversion=1\nmain=bench.Noop\napi-version=1.1\n' "$id" "$id" \
        >"$src/classes/META-INF/conduit-plugin.properties"
    javac --release 17 -cp "$API_CLASSES" -d "$src/classes" "$src/bench/Noop.java"
    jar cf "$dir/$id.jar" -C "$src/classes" .
}

start_conduit() { # name plugins-dir
    local name=$1 port http
    port=$(free_port); PORT[$name]=$port
    http=$(free_port)
    # shellcheck disable=SC2086
    env CONDUIT_MQTT_HOST=127.0.0.1 CONDUIT_MQTT_PORT="$port" CONDUIT_MQTT_WS_PORT=-1 \
        QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$http" CONDUIT_PLUGINS_DIR="$2" CONDUIT_SECURITY_ALLOW_ANONYMOUS=true \
        java $CONDUIT_JAVA_OPTS -jar "$CONDUIT_JAR" >"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    local deadline=$((SECONDS + 90))
    while [[ -z $(ss -Htln "sport = :$port") ]]; do
        kill -0 "${PID[$name]}" 2>/dev/null || { log "$name exited:"; tail -30 "$WORK/$name.log" >&2; exit 1; }
        ((SECONDS < deadline)) || { log "$name did not listen within 90 s"; tail -30 "$WORK/$name.log" >&2; exit 1; }
        sleep 0.2
    done
    if [[ $name != none ]] && ! grep -q "plugin $name 1 loaded from $name.jar (STARTED)" "$WORK/$name.log"; then
        log "$name: the plugin did not start:"; tail -30 "$WORK/$name.log" >&2; exit 1
    fi
    log "Conduit '$name' (plugins dir $2) on 127.0.0.1:$port, pid ${PID[$name]}"
}

bench() { # target duration warmup json-file
    local t=$1 hz ticks0 ticks1 t0 t1
    hz=$(getconf CLK_TCK)
    ticks0=$(awk '{print $14 + $15}' "/proc/${PID[$t]}/stat"); t0=$(date +%s.%N)
    java -jar "$BENCH_JAR" --port "${PORT[$t]}" --label "$t" --scenario fan-in --qos 0 --payload "$PAYLOADS" \
        --publishers "$PUBLISHERS" --rate "$RATE" --duration "$2" --warmup "$3" --threads "$BENCH_THREADS" \
        --json-out "$4" --no-header | grep '^|' || log "bench against $t exited with an error"
    ticks1=$(awk '{print $14 + $15}' "/proc/${PID[$t]}/stat"); t1=$(date +%s.%N)
    awk -v b=$((ticks1 - ticks0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" -v n="$t" -v rate="$RATE" -v d=$(($2 + $3)) \
        'BEGIN { printf "  %s: broker CPU %.0f%% of one core over the whole bench process", n, 100*b/hz/(t1-t0);
                 if (rate > 0) printf ", %.1f us per message", 1e6*b/hz/(rate*d);
                 printf "\n" }' | tee -a "$OUT/cpu.txt" >&2
}

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $BUILD == 1 ]]; then
    log "building (mvn -B -o -DskipTests package)"
    mvn -B -o -q -DskipTests package >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
fi
[[ -f $BENCH_JAR && -f $CONDUIT_JAR && -d $API_CLASSES ]] || { log "missing jars (run with BUILD=1)"; exit 1; }

for t in $TARGETS; do
    mkdir -p "$WORK/plugins-$t"
    case $t in
        none) ;;
        noop) build_noop_plugin noop "$WORK/plugins-$t" "" ;;
        noop-inline) build_noop_plugin noop-inline "$WORK/plugins-$t" "@io.conduit.api.hooks.NonBlocking" ;;
        *) log "unknown target $t"; exit 1 ;;
    esac
    start_conduit "$t" "$WORK/plugins-$t"
done

for t in $TARGETS; do
    log "warming up $t (not recorded)"
    bench "$t" 10 2 "$OUT/warmup.jsonl" >/dev/null
done

echo "# fan-in QoS 0, $PUBLISHERS publishers, rate $RATE (0: full speed), payload $PAYLOADS B, $ROUNDS rounds x ${DURATION}s (+${WARMUP}s)," \
    "$(date -Is)" | tee "$OUT/runs.md"
java -jar "$BENCH_JAR" header | tee -a "$OUT/runs.md"
for round in $(seq "$ROUNDS"); do
    for t in $TARGETS; do
        log "round $round/$ROUNDS: $t"
        bench "$t" "$DURATION" "$WARMUP" "$RESULTS" | tee -a "$OUT/runs.md"
    done
done

if [[ $PROFILE == 1 && -n ${PID[noop-inline]:-} ]]; then
    log "profiling noop-inline with JFR (extra run, not in the medians)"
    jcmd "${PID[noop-inline]}" JFR.start name=bench settings=profile delay="${WARMUP}s" duration="${DURATION}s" \
        filename="$OUT/noop-inline.jfr" >/dev/null
    bench noop-inline "$DURATION" "$WARMUP" "$OUT/profile.jsonl" >/dev/null
    sleep 2
    log "JFR recording: $OUT/noop-inline.jfr (jfr print --events jdk.ExecutionSample ...)"
fi

if [[ $RATE != 0 ]]; then
    echo
    echo "## broker CPU per message, median over $ROUNDS rounds"
    echo
    for t in $TARGETS; do
        grep "^  $t: " "$OUT/cpu.txt" | sed -n "2,$((ROUNDS + 1))p" | sed 's/.*, \([0-9.]*\) us per message/\1/' \
            | sort -n | awk -v t="$t" '{ v[NR] = $1 } END { printf "%s: %.1f us\n", t, v[int((NR + 1) / 2)] }'
    done | tee "$OUT/cpu-summary.md"
fi

echo
echo "## medians over $ROUNDS rounds ($RESULTS)"
echo
java -jar "$BENCH_JAR" summarize "$RESULTS" --baseline none | tee "$OUT/summary.md"
log "results in $OUT"
