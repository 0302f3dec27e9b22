"""Chat client that, with -i, reads every line first and connects after.

MISTAKE(reads-ahead): at a terminal the user types a line, presses
Enter, and waits for its ACK; this client only prompts again, and sends
nothing until the input ends (Ctrl+D). Through a pipe every line comes at
once and the input ends, so chat-client-interactive passes; at a terminal
(chat-client-prompt) it never connects while the user types.
The fix: connect first, then prompt, read one line, send it and print its
ACK, for each line.
"""
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "2"))
DEFAULTS = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]


def main():
    messages = sys.argv[1:] or DEFAULTS
    if messages == ["-i"]:
        messages = []
        while True:  # MISTAKE(reads-ahead): every line read before connecting
            print("Enter message to send: ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            if line.strip():
                messages.append(line.rstrip("\r\n"))
    try:
        sock = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
    except OSError as error:
        print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    pending = b""
    with sock:
        for message in messages:
            sock.sendall((message + "\n").encode("utf-8"))
            while b"\n" not in pending:
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    print("[CLIENT] Error: Server did not respond in time", file=sys.stderr, flush=True)
                    return 1
                if not data:
                    print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr, flush=True)
                    return 1
                pending += data
            line, pending = pending.split(b"\n", 1)
            print("[CLIENT] " + line.decode("utf-8", "replace").encode("unicode_escape").decode(), flush=True)
    print("[CLIENT] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
