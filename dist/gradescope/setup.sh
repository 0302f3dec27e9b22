#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image, from
# /autograder/source (this bundle). The bundle carries a prebuilt Linux
# `netlab` binary (make_bundle.sh); here we only add what submissions need.
set -eu
root=${AUTOGRADER_ROOT:-/autograder}
chmod +x "$root/source/netlab" "$root/source/run_autograder" "$root/source/grade-one.sh"
# Python submissions need python3; compiled ones bring their own binary.
if ! command -v python3 >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3
fi
"$root/source/netlab" --version
