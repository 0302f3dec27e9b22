#!/usr/bin/env bash
# Maintainer check: the Week 1 lab's `cargo test` is wired to the grader.
#
# Proves, with real builds and real runs:
#   1. the reference programs build (`cargo build --bins` at the root);
#   2. the lab's `cargo test`, pointed at the reference programs through
#      NETLAB_WEEK01_BIN_DIR, passes every check (`week01: N passed, 0 failed`,
#      exit 0);
#   3. the lab's `cargo test` on the untouched starters fails every check,
#      each with the `not-implemented` diagnosis (the starters say which
#      file and TODO to open), exits non-zero, prints no panic, and fits one
#      screen (at most 40 lines after the build); the starters build without
#      a warning and carry their TODO(week01) markers.
# The lab's tests are generated from the grader's list of checks
# (src/grade/labtest.rs), so their count is the grader's.
# A starter that passes a check, or a check the lab's tests miss, makes this
# script fail with the reason. Called by .ci/run; run it by hand the same way:
#   scripts/check_lab_wiring.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lab="$root/labs/week01-tcp-client-server"
# Each cargo invocation gets this long at most, so a hung check cannot hang CI.
limit="${LAB_WIRING_TIMEOUT:-600}"

# The lab is a member of the root workspace: one target folder. Its starter
# binaries have the reference programs' names (`server`, `client`, ...), so
# building the lab replaces target/debug/server: the reference programs are
# copied aside first.
root_target="${CARGO_TARGET_DIR:-$root/target}"
# The first screen a student sees: lines after cargo's `Finished` line.
screen=40

log_dir="$(mktemp -d)"
ref_bins="$log_dir/reference"
trap 'rm -rf "$log_dir"' EXIT

fail() {
    echo "lab wiring: FAILED: $*" >&2
    exit 1
}

# `timeout` is GNU coreutils (`gtimeout` when Homebrew installs it on macOS).
if command -v timeout >/dev/null; then
    bounded=(timeout --kill-after=10 "$limit")
elif command -v gtimeout >/dev/null; then
    bounded=(gtimeout --kill-after=10 "$limit")
else
    echo "lab wiring: note: no timeout command, cargo runs unbounded" >&2
    bounded=()
fi

# Runs cargo with the time limit; the output goes to the given log file.
# Returns cargo's exit status (124 or 137 when the limit struck).
cargo_logged() {
    local log="$1"
    shift
    local status=0
    ${bounded[@]+"${bounded[@]}"} cargo "$@" >"$log" 2>&1 || status=$?
    return "$status"
}

# Prints the last lines of a log, for the reason of a failure.
show_tail() {
    echo "---- last lines of $2 ----" >&2
    tail -n "${3:-40}" "$1" >&2
    echo "----" >&2
}

echo "lab wiring: building the reference programs (cargo build --bins)"
if ! (cd "$root" && cargo_logged "$log_dir/root-build.log" build --bins); then
    show_tail "$log_dir/root-build.log" "the root build"
    fail "the reference programs did not build"
fi
mkdir -p "$ref_bins"
for name in server client server_threaded chat_server chat_client; do
    found=""
    for file in "$root_target/debug/$name" "$root_target/debug/$name.exe"; do
        if [[ -x "$file" ]]; then
            cp "$file" "$ref_bins/" && found=yes
        fi
    done
    [[ -n "$found" ]] || fail "the reference program $root_target/debug/$name is missing after the build"
done

# The starters: they must build, without a single warning from the lab's own
# code (a student's first `cargo run` must not greet them with warnings).
# (cargo replays the warnings of a cached build, so a second run sees them too.)
echo "lab wiring: building the starters"
if ! (cd "$lab" && cargo_logged "$log_dir/lab-build.log" build --bins); then
    show_tail "$log_dir/lab-build.log" "the starter build"
    fail "the starter crate does not build"
fi
if grep -q '^warning' "$log_dir/lab-build.log"; then
    show_tail "$log_dir/lab-build.log" "the starter build"
    fail "the starters compile with warnings"
fi
for file in "$lab"/src/bin/*.rs; do
    grep -q 'TODO(week01)' "$file" || fail "$file has no TODO(week01) marker"
done

# The tests' names, from the test harness itself (one per grader check).
(cd "$lab" && cargo_logged "$log_dir/list.log" test --test week01 -- --list) || {
    show_tail "$log_dir/list.log" "cargo test -- --list"
    fail "the lab's tests do not build"
}
checks=$(grep -cE '^stage[0-9]+-[a-z0-9-]+::[a-z0-9-]+: test$' "$log_dir/list.log" || true)
((checks > 0)) || fail "the lab's cargo test lists no check"

# The harness's closing line: "week01: N passed, M failed" (", K skipped"),
# without the note that may follow it (" (NETLAB_VERBOSE=1 ...)").
closing() {
    grep -E '^week01: [0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 | sed 's/ (NETLAB_VERBOSE=.*$//'
}

echo "lab wiring: grading the reference programs with the lab's tests ($checks checks)"
ref_status=0
(cd "$lab" && export NETLAB_WEEK01_BIN_DIR="$ref_bins" &&
    cargo_logged "$log_dir/reference.log" test --test week01 -- --color never) || ref_status=$?
if ((ref_status == 124 || ref_status == 137)); then
    fail "the reference run took longer than ${limit}s"
fi
ref_line="$(closing "$log_dir/reference.log")"
if ((ref_status != 0)) || [[ "$ref_line" != "week01: $checks passed, 0 failed" ]]; then
    show_tail "$log_dir/reference.log" "the reference run" 80
    fail "the reference programs must pass every check: got \"$ref_line\" (cargo exit $ref_status)"
fi

echo "lab wiring: grading the untouched starters ($checks checks)"
# As a student runs it: plain `cargo test` in the folder, every target.
starter_status=0
(cd "$lab" && unset NETLAB_WEEK01_BIN_DIR NETLAB_VERBOSE &&
    cargo_logged "$log_dir/starter.log" test -- --color never) || starter_status=$?
if ((starter_status == 124 || starter_status == 137)); then
    fail "the starter run took longer than ${limit}s"
fi
starter_line="$(closing "$log_dir/starter.log")"
if ((starter_status == 0)) || [[ "$starter_line" != "week01: 0 passed, $checks failed" ]]; then
    show_tail "$log_dir/starter.log" "the starter run" 60
    fail "the starters must fail every check: got \"$starter_line\" (cargo exit $starter_status)"
fi
if grep -qE 'panicked at|RUST_BACKTRACE' "$log_dir/starter.log"; then
    show_tail "$log_dir/starter.log" "the starter run" 60
    fail "the starter run shows a panic or a backtrace note"
fi
lines=$(sed -n '/^ *Finished /,$p' "$log_dir/starter.log" | tail -n +2 | wc -l)
if ((lines > screen)); then
    show_tail "$log_dir/starter.log" "the starter run" 60
    fail "the starter's cargo test prints $lines lines after the build; one screen is $screen"
fi
grep -q '← start here' "$log_dir/starter.log" ||
    fail "the starter's cargo test does not say where to start"

# Every failure's story, to see that each says `not-implemented`.
(cd "$lab" && unset NETLAB_WEEK01_BIN_DIR && export NETLAB_VERBOSE=1 &&
    cargo_logged "$log_dir/starter-verbose.log" test --test week01 -- --color never) || true
told=$(grep -c 'diagnosis: not-implemented' "$log_dir/starter-verbose.log" || true)
if ((told != checks)); then
    grep 'diagnosis:' "$log_dir/starter-verbose.log" | grep -v not-implemented | sort | uniq -c >&2 || true
    fail "every starter failure must be diagnosed not-implemented: $told/$checks are"
fi

echo "lab wiring: reference passes $checks/$checks checks; starter fails $checks/$checks (not-implemented) in $lines lines — OK"
