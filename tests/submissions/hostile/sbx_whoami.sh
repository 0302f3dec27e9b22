#!/bin/sh
# Hostile fixture: a program of the submission started by its own path
# (`./sbx_whoami.sh`), the way every compiled C, Rust or Go submission is.
# As root, the grader must run it under the check's unprivileged uid like
# any other program: it says on stderr which uid it got, then exits 1
# (7 when it got root, so a report cannot mistake one for the other).
if [ "$(id -u)" = 0 ]; then
  echo "running as root" >&2
  exit 7
fi
echo "running as uid $(id -u)" >&2
exit 1
