# Shared helpers for scripts/bench-*: sourced, not run. Release build, process bookkeeping, cleanup.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/target/release/leaksoak"

# Builds the release binary unless it is newer than every source file.
bench_build() {
    if [[ ! -x "$BIN" ]] || [[ -n "$(find "$ROOT/src" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" -newer "$BIN" -print -quit)" ]]; then
        echo "building release binary (first time ~3 min)..." >&2
        (cd "$ROOT" && cargo build --release --quiet)
    fi
}

# PIDs started by this script; the EXIT trap kills exactly these.
BENCH_PIDS=()
bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]:-}"; do
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]:-}"; do
        [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
    done
    BENCH_PIDS=()
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process started by this script (by pid) and forgets it.
bench_stop() {
    local pid="$1" keep=() p
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${BENCH_PIDS[@]:-}"; do
        [[ -n "$p" && "$p" != "$pid" ]] && keep+=("$p")
    done
    BENCH_PIDS=("${keep[@]:-}")
}

# Starts `leaksoak fake-llm` on 127.0.0.1 with the given extra flags; sets FAKE_PID and FAKE_URL.
bench_start_fake() {
    local out="$1"
    shift
    "$BIN" fake-llm --listen 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
    FAKE_PID=$!
    BENCH_PIDS+=("$FAKE_PID")
    local i
    for i in $(seq 1 100); do
        if FAKE_URL="$(head -n1 "$out" 2>/dev/null | sed -n 's/^fake-llm listening on \(http:[^ ]*\)$/\1/p')" && [[ -n "$FAKE_URL" ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "fake-llm did not start: $(cat "$out.err")" >&2
    return 1
}

# Waits until FILE holds at least N `cycle finished` log lines (JSON logs), or the process PID dies,
# or TIMEOUT seconds pass. Prints progress to stderr.
bench_wait_cycles() {
    local file="$1" n="$2" pid="$3" timeout="$4" start now count=0 last=-1
    start=$(date +%s)
    while :; do
        count=$(grep -c '"cycle finished' "$file" 2>/dev/null || true)
        count=${count:-0}
        if ((count != last)); then
            printf '\r  %s/%s cycles' "$count" "$n" >&2
            last=$count
        fi
        ((count >= n)) && break
        if ! kill -0 "$pid" 2>/dev/null; then
            echo >&2
            echo "leaksoak exited early; stderr tail:" >&2
            tail -n 20 "$file" >&2
            return 1
        fi
        now=$(date +%s)
        if ((now - start > timeout)); then
            echo >&2
            echo "timeout after ${timeout}s with $count cycles" >&2
            return 1
        fi
        sleep 0.5
    done
    echo >&2
}
