"""Week 1 client."""
import argparse
import socket
import sys

from server import load_config  # reuse the config code


def main():
    parser = argparse.ArgumentParser(prog="client", description="week 1 client")
    parser.add_argument("message", nargs="?", default="Hello Server", help="the message to send")
    args = parser.parse_args()  # extra words -> argparse error, exit 2
    if args.message == "":
        print("[CLIENT] Error: empty message, nothing sent", file=sys.stderr, flush=True)
        sys.exit(2)
    cfg = load_config()
    target = f"{cfg['host']}:{cfg['port']}"
    try:
        sock = socket.create_connection((cfg["host"], cfg["port"]), timeout=cfg["timeout"])
    except ConnectionRefusedError:
        print(f"[CLIENT] Error: could not connect to {target}: connection refused (is the server running?)",
              file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"[CLIENT] Connected to {target}", flush=True)
    print(f"[CLIENT] Sending: {args.message}", flush=True)
    sock.sendall(args.message.encode("utf-8"))
    try:
        reply = sock.recv(cfg["buffer_size"])
    except socket.timeout:
        print("[CLIENT] Server did not respond in time", file=sys.stderr, flush=True)
        sock.close()
        sys.exit(1)
    if not reply:
        print("[CLIENT] Error: the server closed the connection without replying", file=sys.stderr, flush=True)
        sock.close()
        sys.exit(1)
    print(f"[CLIENT] Received: {reply.decode('utf-8', 'replace')}", flush=True)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)


if __name__ == "__main__":
    main()
