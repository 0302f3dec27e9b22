import socket
import sys

from helpers import HOST, PORT, TIMEOUT, log

HELPDESK = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]

args = sys.argv[1:]
interactive = False
if args and args[0] == "-i":
    interactive = True
    args = args[1:]
elif not args and sys.stdin.isatty():
    interactive = True
if not args and not interactive:
    args = HELPDESK

try:
    sock = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
except OSError as e:
    print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: {e}", file=sys.stderr)
    sys.exit(1)
log(f"[CLIENT] Connected to {HOST}:{PORT}")
replies = sock.makefile("r", encoding="utf-8", newline="\n")


def talk(line):
    sock.sendall((line + "\n").encode())
    try:
        ack = replies.readline()
    except socket.timeout:
        print("[CLIENT] Server did not respond in time", file=sys.stderr)
        sys.exit(1)
    if not ack:
        print("[CLIENT] Server closed the connection without replying", file=sys.stderr)
        sys.exit(1)
    log("[CLIENT] " + ack.rstrip("\n"))


if interactive:
    while True:
        try:
            line = input("Enter message: ")
        except EOFError:
            break
        if line == "":
            break
        talk(line)
else:
    for m in args:
        talk(m)
sock.close()
log("[CLIENT] Closed connection")
