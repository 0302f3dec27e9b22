"""Tries to connect beyond loopback (192.0.2.1, a documentation address that
is never routed; 1 s timeout), says what happened on stderr, exits 1.

Expected (sandboxed): the network is unreachable at once.
"""

import socket
import sys

from common import bound

bound()
try:
    socket.create_connection(("192.0.2.1", 80), timeout=1).close()
    print("reached 192.0.2.1", file=sys.stderr)
except OSError as error:
    print(f"cannot reach 192.0.2.1: {error.strerror or error}", file=sys.stderr)
sys.exit(1)
