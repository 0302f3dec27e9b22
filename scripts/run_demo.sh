#!/usr/bin/env bash
# Week 1 demo: build the reference programs, run one TCP session between the
# server and the client on this machine, and show what each one printed —
# as if they ran in two terminals side by side.
#
#   scripts/run_demo.sh           the session and both transcripts
#   scripts/run_demo.sh --trace   then the packets of a session (netlab trace)
#
# The server asks the OS for a free port (LAB_PORT=0) and announces it; the
# client is pointed at that port. Everything the script starts is stopped on
# exit, on Ctrl+C and on failure. Exit status 0 means the session worked.

set -euo pipefail

usage() {
    sed -n '2,11s/^# \{0,1\}//p' "$0"
}

trace=0
for arg in "$@"; do
    case "$arg" in
        --trace) trace=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run_demo.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

# Work from the repository root, wherever the script is called from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -t 1 ]]; then
    bold=$'\e[1m' green=$'\e[32m' red=$'\e[31m' reset=$'\e[0m'
else
    bold='' green='' red='' reset=''
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/netlab-demo.XXXXXX")
server_pid=''

cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # Give it a moment to shut down cleanly, then make sure it is gone.
        for _ in $(seq 30); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'echo; echo "${red}Interrupted; stopping everything the demo started.${reset}" >&2; exit 130' INT TERM

fail() {
    echo "${red}Demo failed: $*${reset}" >&2
    for f in server client; do
        if [[ -s "$workdir/$f.out" ]]; then
            echo "── what the $f printed ──" >&2
            cat "$workdir/$f.out" >&2
        fi
    done
    exit 1
}

echo "${bold}Week 1 demo:${reset} a TCP server and a client talk once on this machine (building first)."
cargo build --quiet --bins || fail "cargo build failed (see above)"
bin="${CARGO_TARGET_DIR:-target}/debug"

# Terminal 1: the server, on any free port.
LAB_PORT=0 "$bin/server" >"$workdir/server.out" 2>&1 &
server_pid=$!

# Wait (at most 10 s) for "[SERVER] Listening on 127.0.0.1:PORT".
port=''
for _ in $(seq 100); do
    port=$(sed -n 's/^\[SERVER\] Listening on .*:\([0-9][0-9]*\)$/\1/p' "$workdir/server.out" | head -n 1)
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || fail "the server stopped before it was listening"
    sleep 0.1
done
[[ -n "$port" ]] || fail "the server did not say it was listening within 10 s"

# Terminal 2: the client, pointed at that port.
client_status=0
LAB_PORT="$port" "$bin/client" >"$workdir/client.out" 2>&1 || client_status=$?

# The one-shot server exits after its session; wait for it (at most 10 s).
for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "the server was still running 10 s after the session"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=''

echo
echo "${bold}── server (terminal 1) ──${reset}"
cat "$workdir/server.out"
echo
echo "${bold}── client (terminal 2) ──${reset}"
cat "$workdir/client.out"
echo

if [[ "$server_status" -ne 0 || "$client_status" -ne 0 ]]; then
    fail "server exited with $server_status, client with $client_status (both should be 0)"
fi
echo "${green}Done:${reset} one connection, one message, one ACK on port $port; both programs exited 0 and nothing is left running."

if [[ "$trace" -eq 1 ]]; then
    echo
    echo "${bold}── the packets of a session (netlab trace) ──${reset}"
    cargo run --quiet --bin netlab -- trace
fi
