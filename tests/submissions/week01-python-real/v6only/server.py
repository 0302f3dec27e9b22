# Week 1 - one-shot TCP server (IPv6 ready: listens on every address)
import os
import socket
import sys

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))


def main():
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    # IPv6 only, so the port is free for an IPv4 server too
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind(("::", PORT))
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {e}", file=sys.stderr)
        sys.exit(1)
    srv.listen(1)
    print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
    conn, addr = srv.accept()
    with conn:
        print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
        data = conn.recv(1024)
        text = data.decode("utf-8", errors="replace")
        print(f"[SERVER] Received: {text}", flush=True)
        conn.sendall(f"ACK: {text}".encode("utf-8"))
    srv.close()


if __name__ == "__main__":
    main()
