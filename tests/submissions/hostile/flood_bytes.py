"""Writes 200 MB of raw bytes that are not UTF-8 (no newline), then exits.

Expected: as for flood_lines.py; the bytes are shown escaped (\\xNN).
"""

import sys
import time

from common import bound, deadline

bound()
chunk = bytes(range(0x80, 0x100)) * (1 << 12)  # 512 KiB, none of it UTF-8
end = deadline(8)
written = 0
while written < 200_000_000 and time.monotonic() < end:
    sys.stdout.buffer.write(chunk)
    written += len(chunk)
sys.stdout.buffer.flush()
print(f"wrote {written} bytes", file=sys.stderr, flush=True)
