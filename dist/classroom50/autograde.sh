#!/usr/bin/env bash
# Classroom 50 autograder entry point. Grades the submission in the current
# folder (or SUBMISSION_DIR) and writes, into RESULT_DIR (default: .):
#   result.json      {"schema": "classroom50/result/v1", score, max-score,
#                     tests[]: test-name, passed, score, max-score}
#   release-body.md  the student's report in Markdown
#
#   autograde.sh [SUBMISSION_DIR [RESULT_DIR]]
#
# Exit status 0 when grading ran, whatever the score; non-zero only when it
# could not run (netlab missing, bad options). LAB and NETLAB_ARGS come from
# the environment; POINTS names an optional points file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
submission=${1:-.}
results=${2:-.}
LAB=${LAB:-week01}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
points=()
[ -n "${POINTS:-}" ] && points=(--points "$POINTS")
# shellcheck disable=SC2086
GRADE_ONE_QUIET=1 "$here/../grade-one.sh" "$LAB" "$submission" "$out" "${points[@]}" ${NETLAB_ARGS:-} || exit $?
mkdir -p "$results"
# RESULT_DIR is the student's checkout by default: a result.json they
# committed as a symbolic link would have cp write through it, anywhere
# the runner may write (hostile round 40). Remove the names first.
rm -f "$results/result.json" "$results/release-body.md"
cp "$out/result.json" "$out/release-body.md" "$results/"
echo "autograde.sh: wrote result.json and release-body.md in $results" >&2
