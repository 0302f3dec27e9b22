#!/usr/bin/env bash
# Maintainer check: the Week 1 lab's grading tests are wired to the grader.
#
# Proves, with real builds and real runs:
#   1. the reference programs build (`cargo build --bins` at the root);
#   2. the lab's `cargo test`, pointed at the reference programs through
#      NETLAB_WEEK01_BIN_DIR, passes every check;
#   3. the lab's `cargo test` on the untouched starters fails every check
#      test (one failure per check, no more, no less), while
#      `every_check_has_a_test` passes, and the starters build without a
#      warning and carry their TODO(week01) markers.
# A starter that passes a check, or a check the lab's tests miss, makes this
# script fail with the reason. Called by .ci/run; run it by hand the same way:
#   scripts/check_lab_wiring.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lab="$root/labs/week01-tcp-client-server"
# Each cargo invocation gets this long at most, so a hung check cannot hang CI.
limit="${LAB_WIRING_TIMEOUT:-600}"

# The root's binaries land in the root's target folder (or the caller's
# CARGO_TARGET_DIR); the lab builds into a folder of its own, so its starter
# binaries (also named `server`, `client`, ...) never overwrite the reference.
root_target="${CARGO_TARGET_DIR:-$root/target}"
lab_target="$root/target/lab"
ref_bins="$root_target/debug"

log_dir="$(mktemp -d)"
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
for name in server client server_threaded chat_server chat_client; do
    [[ -x "$ref_bins/$name" || -x "$ref_bins/$name.exe" ]] ||
        fail "the reference program $ref_bins/$name is missing after the build"
done

# The starters: they must build, without a single warning from the lab's own
# code (a student's first `cargo run` must not greet them with warnings).
# (cargo replays the warnings of a cached build, so a second run sees them too.)
export CARGO_TARGET_DIR="$lab_target"
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

# The tests' names, from the test harness itself.
(cd "$lab" && cargo_logged "$log_dir/list.log" test --test week01 -- --list) || {
    show_tail "$log_dir/list.log" "cargo test -- --list"
    fail "the lab's tests do not build"
}
total=$(grep -c ': test$' "$log_dir/list.log" || true)
grep -q '^every_check_has_a_test: test$' "$log_dir/list.log" ||
    fail "the lab has no every_check_has_a_test test"
checks=$((total - 1))
((checks > 0)) || fail "the lab has no check tests"

# Counts the result lines of a libtest run: "test NAME ... ok|FAILED".
count_results() {
    grep -cE "^test [A-Za-z0-9_]+ \.\.\. $2\$" "$1" || true
}

echo "lab wiring: grading the reference programs with the lab's tests ($checks checks)"
ref_status=0
(cd "$lab" && export NETLAB_WEEK01_BIN_DIR="$ref_bins" &&
    cargo_logged "$log_dir/reference.log" test --test week01 -- --color never) || ref_status=$?
ref_passed=$(count_results "$log_dir/reference.log" ok)
ref_failed=$(count_results "$log_dir/reference.log" FAILED)
if ((ref_status == 124 || ref_status == 137)); then
    fail "the reference run took longer than ${limit}s"
fi
if ((ref_status != 0 || ref_failed != 0 || ref_passed != total)); then
    grep -E '^test .* FAILED$' "$log_dir/reference.log" >&2 || true
    show_tail "$log_dir/reference.log" "the reference run" 80
    fail "the reference programs must pass every check: $ref_passed/$total tests passed, $ref_failed failed (cargo exit $ref_status)"
fi

echo "lab wiring: grading the untouched starters ($checks checks)"
starter_status=0
(cd "$lab" && unset NETLAB_WEEK01_BIN_DIR &&
    cargo_logged "$log_dir/starter.log" test --test week01 -- --color never) || starter_status=$?
if ((starter_status == 124 || starter_status == 137)); then
    fail "the starter run took longer than ${limit}s"
fi
starter_failed=$(count_results "$log_dir/starter.log" FAILED)
starter_passed=$(count_results "$log_dir/starter.log" ok)
if ! grep -qE '^test every_check_has_a_test \.\.\. ok$' "$log_dir/starter.log"; then
    show_tail "$log_dir/starter.log" "the starter run" 80
    fail "every_check_has_a_test must pass (the lab's tests and the grader's check list differ)"
fi
if ((starter_status == 0 || starter_failed != checks || starter_passed != 1)); then
    grep -E '^test .* ok$' "$log_dir/starter.log" | grep -v every_check_has_a_test >&2 || true
    show_tail "$log_dir/starter.log" "the starter run" 40
    fail "the starters must fail every check: $starter_failed/$checks check tests failed, $((starter_passed - 1)) passed (cargo exit $starter_status)"
fi

echo "lab wiring: reference passes $checks/$checks checks; starter fails $starter_failed/$checks checks — OK"
