"""Writes 200 MB of text lines to stdout (at most 8 s of it), then exits.

Expected: the grader keeps a bounded part, names the size, stays small.
"""

import sys
import time

from common import bound, deadline

bound()
line = b"flood " + b"x" * 73 + b"\n"  # 80 bytes
chunk = line * (1 << 14)  # 1.25 MiB
end = deadline(8)
written = 0
while written < 200_000_000 and time.monotonic() < end:
    sys.stdout.buffer.write(chunk)
    written += len(chunk)
sys.stdout.buffer.flush()
print(f"wrote {written} bytes", file=sys.stderr, flush=True)
