"""Writes 192 KiB of bytes that are not UTF-8 (no newline), then waits.

Expected: the server never listens: `hangs` (or a start-up failure),
and the report quotes only the start of that line: a whole line quoted
made a 330 KB report.
"""

import sys
import time

from common import bound, deadline

bound()
sys.stdout.buffer.write(bytes(range(0x80, 0x100)) * (192 * 8))
sys.stdout.buffer.flush()
end = deadline(15)
while time.monotonic() < end:
    time.sleep(0.5)
