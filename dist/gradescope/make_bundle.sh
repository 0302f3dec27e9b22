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
zip_out=${1:-$repo/target/gradescope-autograder.zip}
if [ -z "${NETLAB_BIN:-}" ]; then
  (cd "$repo" && cargo build --release --bin netlab)
  NETLAB_BIN=$repo/target/release/netlab
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
