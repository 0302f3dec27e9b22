# Mini chat lab: helpdesk client.
# usage: chat_client.py [messages...]   or   chat_client.py -i
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))

DEFAULTS = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]


def read_line(sock, buf):
    while b"\n" not in buf[0]:
        chunk = sock.recv(1024)
        if not chunk:
            return None
        buf[0] += chunk
    line, buf[0] = buf[0].split(b"\n", 1)
    return line.decode("utf-8", errors="replace")


def main():
    args = sys.argv[1:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    try:
        sock.connect((HOST, PORT))
    except OSError as e:
        print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: {e.strerror}", file=sys.stderr)
        return 1
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    if args == ["-i"]:
        # read what the user types first, then send it all
        messages = []
        while True:
            print("Enter message to send: ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            messages.append(line.rstrip("\n"))
    elif args:
        messages = args
    else:
        messages = DEFAULTS
    buf = [b""]
    for m in messages:
        sock.sendall((m + "\n").encode("utf-8"))
        try:
            ack = read_line(sock, buf)
        except socket.timeout:
            print("[CLIENT] Server did not respond in time", file=sys.stderr)
            return 1
        if ack is None:
            print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr)
            return 1
        print(f"[CLIENT] {ack}", flush=True)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
