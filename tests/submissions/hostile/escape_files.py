"""Writes outside its folder and reads a secret file, then exits 1.

Usage: escape_files.py MARKER OUTSIDE_FILE SECRET_FILE
Prints on stderr what it managed. Expected (sandboxed, as root): both fail.
"""

import sys

from common import bound

bound()
outside, secret = sys.argv[2], sys.argv[3]
try:
    with open(outside, "w") as out:
        out.write("written by a submission\n")
    print(f"wrote {outside}", file=sys.stderr)
except OSError as error:
    print(f"cannot write outside: {error.strerror}", file=sys.stderr)
try:
    with open(secret) as source:
        print(f"secret: {source.read().strip()}", file=sys.stderr)
except OSError as error:
    print(f"cannot read the secret: {error.strerror}", file=sys.stderr)
sys.exit(1)
