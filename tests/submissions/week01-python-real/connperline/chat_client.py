# Mini chat lab: helpdesk client.
# usage: chat_client.py [messages...]   or   chat_client.py -i
import os
import socket
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))

DEFAULTS = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]


def send_message(msg):
    # one message = connect, send, wait for the ACK, close
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect((HOST, PORT))
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    sock.sendall((msg + "\n").encode("utf-8"))
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(1024)
        if not chunk:
            print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr)
            sys.exit(1)
        data += chunk
    print("[CLIENT] " + data.split(b"\n")[0].decode("utf-8"), flush=True)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)


def main():
    args = sys.argv[1:]
    if args and args[0] == "-i" or (not args and sys.stdin.isatty()):
        while True:
            print("Enter message to send: ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            if line.strip():
                send_message(line.rstrip("\n"))
    else:
        for msg in args or DEFAULTS:
            send_message(msg)


main()
