# Week 1 mini chat lab - chat server
# Run: python3 chat_server.py --log chat.log
#
# One thread per client. Every message gets an ACK, and then it goes in
# the log file (I flush and fsync it so nothing is lost).
import argparse
import os
import signal
import socket
import sys
import threading
from datetime import datetime, timezone

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))
MAX_LINE = 64 * 1024

log_lock = threading.Lock()
stopping = threading.Event()


def log_message(logfile, who, text):
    if logfile is None:
        return
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    # TODO escape the other control characters too
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    with log_lock:
        logfile.write(f"{stamp} {who} {text}\n")
        logfile.flush()
        os.fsync(logfile.fileno())


def handle(conn, addr, logfile, idle):
    who = f"{addr[0]}:{addr[1]}"
    print(f"[SERVER] Connection from {who}", flush=True)
    conn.settimeout(idle)
    pending = b""
    try:
        while not stopping.is_set():
            try:
                chunk = conn.recv(4096)
            except socket.timeout:
                print(f"[SERVER] {who} idle, closing", flush=True)
                break
            if not chunk:
                break
            pending += chunk
            if len(pending) > MAX_LINE and b"\n" not in pending:
                print(f"[SERVER] {who} line too long, closing", flush=True)
                break
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                try:
                    text = line.decode("utf-8").rstrip("\r")
                except UnicodeDecodeError:
                    conn.sendall(b"[ERROR] Invalid UTF-8\n")
                    continue
                if not text.strip():
                    conn.sendall(b"[ERROR] Empty message\n")
                    continue
                now = datetime.now().strftime("%H:%M:%S")
                print(f"[SERVER] @{now} {who} Client: {text}", flush=True)
                # reply first so the client isn't kept waiting on the disk
                conn.sendall(f"[ACK @{now}] {text}\n".encode("utf-8"))
                log_message(logfile, who, text)
    except OSError as err:
        print(f"[SERVER] {who} error: {err}", flush=True)
    finally:
        conn.close()
        print(f"[SERVER] {who} Closed connection", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", default=None)
    ap.add_argument("--idle-timeout", type=float, default=120.0)
    args = ap.parse_args()
    logfile = open(args.log, "a", encoding="utf-8") if args.log else None

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind((HOST, PORT))
    except OSError as err:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {err}", file=sys.stderr)
        sys.exit(1)
    srv.listen()
    srv.settimeout(0.5)
    print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
    while not stopping.is_set():
        try:
            conn, addr = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=handle, args=(conn, addr, logfile, args.idle_timeout), daemon=True).start()
    print("[SERVER] Shutting down", flush=True)
    srv.close()
    if logfile:
        logfile.close()


if __name__ == "__main__":
    main()
