"""Chat client, first try: sends everything in one go.

The arguments are joined into one message with no newline at the end, and
the client leaves at once without waiting for an ACK. It has no -i mode:
`-i` is sent like any other word.
"""
import os
import socket
import sys

port = int(os.environ.get("LAB_PORT", "5000"))
sock = socket.create_connection(("127.0.0.1", port))
sock.sendall(" ".join(sys.argv[1:]).encode("utf-8"))
sock.close()
