# Shell functions shared by the bench scripts (run-persistence.sh, run-compare.sh); sourced, not run.
#
# The caller sets ROOT (the repository), WORK (a temp dir, mode 755, removed on exit) and OUT (results), and calls
# stop_started from its EXIT trap. Started brokers are kept in PID / PORT / HTTP by target name.
# shellcheck shell=bash

declare -A PID PORT HTTP
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
CONDUIT_JAVA_OPTS=${CONDUIT_JAVA_OPTS:-}
BENCH_JAR=$ROOT/bench/target/conduit-bench.jar
CONDUIT_JAR=${CONDUIT_JAR:-$ROOT/gateway/target/quarkus-app/quarkus-run.jar}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

machine() {
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g \
        | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Builds the jars (mvn -B -o -DskipTests package) when BUILD=1, then checks they are there.
build_jars() {
    if [[ ${BUILD:-1} == 1 ]]; then
        log "building (mvn -B -o -DskipTests package)"
        mvn -B -o -q -DskipTests package >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
    fi
    [[ -f $BENCH_JAR && -f $CONDUIT_JAR ]] || { log "missing $BENCH_JAR or $CONDUIT_JAR (run with BUILD=1)"; exit 1; }
}

# Stops one started process: TERM, up to 5 s, then KILL.
stop_target() { # name
    local pid=${PID[$1]:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "PID[$1]"
}

# Stops everything started (for the EXIT trap; never fails).
stop_started() {
    local name
    for name in "${!PID[@]}"; do
        kill "${PID[$name]}" 2>/dev/null || true
    done
    for name in "${!PID[@]}"; do
        stop_target "$name"
    done
    return 0
}

# A TCP port nobody listens on (loopback only) and no started target was given; RESERVED_PORTS adds others.
free_port() {
    local p
    while true; do
        p=$((20000 + RANDOM % 40000))
        if [[ -z $(ss -Htln "sport = :$p") ]] \
            && [[ ! " ${PORT[*]:-} ${HTTP[*]:-} ${RESERVED_PORTS:-} " =~ " $p " ]]; then
            echo "$p"
            return
        fi
    done
}

wait_for_port() { # name port seconds
    local deadline=$((SECONDS + $3))
    while [[ -z $(ss -Htln "sport = :$2") ]]; do
        if ! kill -0 "${PID[$1]}" 2>/dev/null; then
            log "$1 exited; its log:"; tail -30 "$WORK/$1.log" >&2; exit 1
        fi
        if ((SECONDS > deadline)); then
            log "$1 did not listen on $2 within $3 s"; tail -30 "$WORK/$1.log" >&2; exit 1
        fi
        sleep 0.2
    done
}

# utime + stime (clock ticks) of the given processes.
cpu_ticks() {
    local total=0 pid f
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] || continue
        f=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
        set -- $f
        total=$((total + ${12} + ${13}))
    done
    echo "$total"
}

# Waits (at most 40 s) until the given processes are idle (< 10% of a core over a second): a run leaves work
# behind (a backlog, GC, autovacuum), which must not be billed to the next target.
settle() { # pids...
    local t0 t1
    for _ in $(seq 40); do
        t0=$(cpu_ticks "$@")
        sleep 1
        t1=$(cpu_ticks "$@")
        (( (t1 - t0) * 100 / $(getconf CLK_TCK) < 10 )) && return 0
    done
    log "brokers still busy after 40 s; going on"
}

# Starts the packaged gateway as target NAME on free loopback ports (MQTT, HTTP; no WebSocket); further arguments
# are VAR=value settings for it (after anonymous access, which the bench's clients need: they send no credentials).
# CONDUIT_JAVA_OPTS go to its JVM.
start_conduit() { # name jar [VAR=value ...]
    local name=$1 jar=$2 port http
    shift 2
    port=$(free_port); PORT[$name]=$port
    http=$(free_port); HTTP[$name]=$http
    # shellcheck disable=SC2086
    env CONDUIT_MQTT_HOST=127.0.0.1 CONDUIT_MQTT_PORT="$port" CONDUIT_MQTT_WS_PORT=-1 \
        QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$http" CONDUIT_SECURITY_ALLOW_ANONYMOUS=true "$@" \
        java $CONDUIT_JAVA_OPTS -jar "$jar" >>"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    wait_for_port "$name" "$port" 120
    log "Conduit '$name' ($jar${CONDUIT_JAVA_OPTS:+, $CONDUIT_JAVA_OPTS}${*:+, $*}) on 127.0.0.1:$port (HTTP $http)," \
        "pid ${PID[$name]}"
}

# Starts Mosquitto as target NAME on a free loopback port, anonymous, TCP_NODELAY; further arguments are lines of
# its configuration.
start_mosquitto() { # name [config line ...]
    local name=$1 port
    shift
    port=$(free_port); PORT[$name]=$port
    {
        echo "listener $port 127.0.0.1"
        echo "allow_anonymous true"
        echo "set_tcp_nodelay true"
        echo "log_type error"
        echo "log_type warning"
        printf '%s\n' "$@"
    } >"$WORK/$name.conf"
    "$MOSQUITTO" -c "$WORK/$name.conf" >>"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    wait_for_port "$name" "$port" 20
    log "Mosquitto $("$MOSQUITTO" -h 2>/dev/null | head -1 | awk '{print $3}') '$name' ($(grep -v -e '^listener' \
        -e '^log_type' "$WORK/$name.conf" | paste -sd, -)) on 127.0.0.1:$port, pid ${PID[$name]}"
}

# A value from a Conduit's Prometheus endpoint (summed over the series that match; empty when unreadable).
metric() { # target name [label filter, e.g. area="heap"]
    local i v
    for i in 1 2 3; do
        v=$(curl -s --max-time 10 "http://127.0.0.1:${HTTP[$1]}/q/metrics" 2>/dev/null \
            | awk -v n="$2" -v f="${3:-}" '{ split($1, k, "{") } k[1] == n && index($1, f) { s += $NF; hit = 1 }
                END { if (hit) printf "%.0f", s }')
        [[ -n $v ]] && { echo "$v"; return; }
        sleep 1
    done
}

delta() { # after before
    if [[ -n $1 && -n $2 ]]; then echo $(($1 - $2)); else echo "n/a"; fi
}
