# Week 1, extension D: threaded server.
# I used a thread pool because the lecture said creating threads is expensive.
import os
import signal
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))
WORKERS = 4  # enough for the tests, I think

busy = 0
busy_lock = threading.Lock()


def escape(text):
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def serve(conn, who):
    global busy
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUFFER)
    except socket.timeout:
        print(f"[SERVER] {who} Client sent nothing within {TIMEOUT}s; closing", flush=True)
        conn.close()
        with busy_lock:
            busy -= 1
        return
    except ConnectionResetError:
        print(f"[SERVER] {who} Error: connection reset by peer", flush=True)
        conn.close()
        with busy_lock:
            busy -= 1
        return
    if not data:
        print(f"[SERVER] {who} Client closed without sending", flush=True)
        conn.close()
        with busy_lock:
            busy -= 1
        return
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        conn.sendall(b"ERROR: Invalid UTF-8")
        conn.close()
        return
    print(f"[SERVER] {who} Received: {escape(text)}", flush=True)
    if not text:
        reply = "ERROR: Empty message"
    elif len(text) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = "ACK: " + text
    try:
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] {who} Sent: {escape(reply)}", flush=True)
    except OSError as e:
        print(f"[SERVER] {who} Error: {e}", flush=True)
    conn.close()
    print(f"[SERVER] {who} Closed connection", flush=True)
    if reply.startswith("ERROR"):
        return
    with busy_lock:
        busy -= 1


def main():
    global busy
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind((HOST, PORT))
    except OSError:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr, flush=True)
        sys.exit(1)
    srv.listen(16)
    print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    try:
        while True:
            conn, addr = srv.accept()
            who = f"{addr[0]}:{addr[1]}"
            print(f"[SERVER] Connection from {who}", flush=True)
            with busy_lock:
                full = busy >= MAX_CLIENTS
                if not full:
                    busy += 1
            if full:
                conn.sendall(b"ERROR: Server busy")
                conn.close()
                continue
            pool.submit(serve, conn, who)
    except KeyboardInterrupt:
        print("[SERVER] Shutting down", flush=True)
        srv.close()
        pool.shutdown(wait=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
