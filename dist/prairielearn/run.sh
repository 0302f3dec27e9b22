#!/usr/bin/env bash
# PrairieLearn external-grader entry point: the student's files are in
# /grade/student, the result goes to /grade/results/results.json
# (gradable, score 0..1, tests[] with points, max_points, message, output).
# Set the question's "entrypoint" to this script in an image that has
# netlab and python3; LAB and NETLAB_ARGS come from the environment.
# GRADE_ROOT replaces /grade for a local dry run.
set -u
root=${GRADE_ROOT:-/grade}
here=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-week01}
mkdir -p "$root/results"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
points=()
[ -f "$root/serverFilesCourse/points.toml" ] && points=(--points "$root/serverFilesCourse/points.toml")
# shellcheck disable=SC2086
if GRADE_ONE_QUIET=1 "$here/../grade-one.sh" "$LAB" "$root/student" "$out" "${points[@]}" ${NETLAB_ARGS:-}; then
  cp "$out/prairielearn.json" "$root/results/results.json"
  echo "run.sh: the result is in $root/results/results.json" >&2
else
  echo '{"gradable": false, "message": "The grader could not run netlab; please tell your instructor."}' \
    > "$root/results/results.json"
  exit 1
fi
