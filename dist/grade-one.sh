#!/usr/bin/env bash
# Grades ONE submission with netlab's class mode and copies its result files
# (report.txt, report.json, report.xml, results.json for Gradescope,
# prairielearn.json, result.json + release-body.md for Classroom 50) into
# RESULT_DIR. The platform entry points next to this script call it.
#
#   grade-one.sh LAB SUBMISSION_DIR RESULT_DIR [netlab grade options...]
#
# NETLAB (default: `netlab` on PATH) is the netlab binary to use.
# Exit status: 0 when grading ran, whatever the score (a submission without
# a valid netlab.toml gets a score of 0 and says why); 2 when it could not run.
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 LAB SUBMISSION_DIR RESULT_DIR [netlab grade options...]" >&2
  exit 2
fi
lab=$1 submission=$2 results=$3
shift 3
netlab=${NETLAB:-netlab}
if ! "$netlab" --version >/dev/null 2>&1; then
  echo "grade-one.sh: cannot run netlab ($netlab): install it or set NETLAB" >&2
  exit 2
fi
if [ ! -d "$submission" ]; then
  echo "grade-one.sh: $submission is not a folder" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/class" "$results"
# The class mode grades every subfolder: a class of one, by symlink.
ln -s "$(cd "$submission" && pwd)" "$work/class/submission"
# The paths netlab prints (the class files: a gradebook of one) are in the
# work folder, removed on exit: those lines are left out.
{ "$netlab" grade "$lab" --class "$work/class" --out "$work/out" "$@" 2>&1; } |
  grep -vF "$work/" >&2
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ] || [ ! -f "$work/out/submission/report.json" ]; then
  echo "grade-one.sh: netlab grade could not run (exit status $status)" >&2
  exit 2
fi
cp "$work/out/submission/"* "$results/"
# An entry point that copies them on from a folder of its own says where
# they end up instead (GRADE_ONE_QUIET=1).
[ -n "${GRADE_ONE_QUIET:-}" ] || echo "grade-one.sh: the results are in $results" >&2
exit 0
