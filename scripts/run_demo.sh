#!/usr/bin/env bash
# Week 1 demo: build the reference programs, run one TCP session between
# the server and the client on this machine, and show it as one timeline:
# both programs' lines in the order they happened, each tagged with its
# step (bind, listen, accept, connect, send, receive, close); side by side
# (server | client) on a wide terminal, one column otherwise.
#
#   scripts/run_demo.sh           build, then the session
#   scripts/run_demo.sh --pace    wait for Enter between steps (presenter)
#   scripts/run_demo.sh --trace   then the packets of a session
#
# The server asks the OS for a free port (LAB_PORT=0); the client is
# pointed at it. Everything started is stopped on exit, on Ctrl+C and on
# failure. Exit status 0 means the session worked.

set -euo pipefail

usage() {
    sed -n '2,15s/^# \{0,1\}//p' "$0"
}

trace=0
demo_args=()
for arg in "$@"; do
    case "$arg" in
        --trace) trace=1 ;;
        --pace) demo_args+=(--pace) ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run_demo.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

# Work from the repository root, wherever the script is called from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    bold=$'\e[1m' red=$'\e[31m' reset=$'\e[0m'
else
    bold='' red='' reset=''
fi

# The build shows cargo's own progress (the first one takes about two
# minutes on two cores; later ones a few seconds).
echo "${bold}Building${reset} the reference programs and netlab"
echo "(first time: about 2 minutes on 2 cores; then a few seconds)."
if ! cargo build --bins; then
    echo "${red}Demo failed: cargo build failed (see above).${reset}" >&2
    exit 1
fi
bin="${CARGO_TARGET_DIR:-target}/debug"
echo

# netlab demo starts the server and the client (each in its own process
# group, with a deadline), shows the timeline and stops both; on Ctrl+C it
# stops them before it exits.
status=0
"$bin/netlab" demo --bin-dir "$bin" ${demo_args[@]+"${demo_args[@]}"} || status=$?
[[ "$status" -eq 0 ]] || exit "$status"

if [[ "$trace" -eq 1 ]]; then
    echo
    echo "${bold}The packets of a session (netlab trace)${reset}"
    "$bin/netlab" trace
fi
