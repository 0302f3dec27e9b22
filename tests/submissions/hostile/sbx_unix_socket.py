"""Hostile fixture: connects to a unix socket of the host's by its path
(argv[1]: the journal's, D-Bus's, a docker.sock left writable by all) and
writes to it. Says what happened on stderr, then exits 1."""
import socket
import sys

path = sys.argv[1]
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(path)
    s.sendall(b"a forged line from a submission\n")
    print("unix: connected", file=sys.stderr)
except OSError as e:
    print(f"unix: refused ({e.strerror})", file=sys.stderr)
sys.exit(1)
