#!/usr/bin/env bash
# Builds the Gradescope autograder bundle: a zip with setup.sh,
# run_autograder, grade-one.sh, config.sh, points.toml and a release build
# of netlab. Upload the zip as the assignment's autograder.
#
#   dist/gradescope/make_bundle.sh [OUT.zip]      (default: target/gradescope-autograder.zip)
#
# Gradescope's image is Ubuntu: build on a system whose glibc is not newer
# than the image's, or set NETLAB_BIN to a static build
# (cargo build --release --target x86_64-unknown-linux-musl).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
case "${1:-}" in
  -h|--help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  -*)
    echo "make_bundle.sh: unknown option $1 (usage: make_bundle.sh [OUT.zip])" >&2
    exit 2 ;;
esac
if [ "$#" -gt 1 ]; then
  echo "make_bundle.sh: one output file at most (usage: make_bundle.sh [OUT.zip])" >&2
  exit 2
fi
# Where cargo builds (CARGO_TARGET_DIR, as cargo itself reads it).
target=${CARGO_TARGET_DIR:-$repo/target}
case "$target" in /*) ;; *) target=$repo/$target ;; esac
zip_out=${1:-$target/gradescope-autograder.zip}
# Absolute: the zip is written from inside a temporary folder.
case "$zip_out" in /*) ;; *) zip_out=$PWD/$zip_out ;; esac
mkdir -p "$(dirname "$zip_out")"
if [ -z "${NETLAB_BIN:-}" ]; then
  (cd "$repo" && cargo build --release --bin netlab)
  NETLAB_BIN=$target/release/netlab
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$here/setup.sh" "$here/run_autograder" "$here/config.sh" "$here/points.toml" "$stage/"
cp "$here/../grade-one.sh" "$stage/"
cp "$NETLAB_BIN" "$stage/netlab"
chmod +x "$stage/setup.sh" "$stage/run_autograder" "$stage/grade-one.sh" "$stage/netlab"
rm -f "$zip_out"
# Files at the zip's root, as Gradescope expects.
(cd "$stage" && python3 -m zipfile -c "$zip_out" setup.sh run_autograder grade-one.sh config.sh points.toml netlab)
echo "wrote $zip_out"
