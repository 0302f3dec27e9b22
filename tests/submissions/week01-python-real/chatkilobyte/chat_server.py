# chat_server.py - mini chat lab, one client at a time
# Lines are capped at 1 KiB: anything longer is somebody trying to flood us.
import argparse
import os
import signal
import socket
import sys
import time
from datetime import datetime, timezone

MAX_LINE = 1024

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


def now():
    return datetime.now().strftime("%H:%M:%S")


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


def listen_on(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, port))
    s.listen(5)
    s.settimeout(0.5)
    return s


def chat(conn, who, log, idle):
    conn.settimeout(0.5)
    buf = b""
    last_line = time.monotonic()
    while not stop:
        if time.monotonic() - last_line > idle:
            print(f"[SERVER] @{now()} {who} idle timeout", flush=True)
            return
        try:
            data = conn.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            return
        if not data:
            return
        buf += data
        if b"\n" not in buf and len(buf) > MAX_LINE:
            print(f"[SERVER] @{now()} {who} line too long", flush=True)
            return
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            last_line = time.monotonic()
            try:
                msg = line.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError:
                conn.sendall(b"[ERROR] Invalid UTF-8\n")
                continue
            if not msg.strip():
                conn.sendall(b"[ERROR] Empty message\n")
                continue
            t = now()
            print(f"[SERVER] @{t} {who} Client: {escape(msg)}", flush=True)
            if log:
                stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
                log.write(f"{stamp} {who} {escape(msg)}\n")
                log.flush()
                os.fsync(log.fileno())
            try:
                conn.sendall(f"[ACK @{t}] {msg}\n".encode("utf-8"))
            except OSError:
                return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log")
    ap.add_argument("--idle-timeout", type=float, default=120)
    args = ap.parse_args()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    try:
        srv = listen_on(PORT)
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {e}", file=sys.stderr)
        sys.exit(1)
    port = srv.getsockname()[1]
    print(f"[SERVER] Listening on {HOST}:{port}", flush=True)
    while not stop:
        try:
            conn, addr = srv.accept()
        except socket.timeout:
            continue
        who = f"{addr[0]}:{addr[1]}"
        print(f"[SERVER] @{now()} New client {addr}", flush=True)
        try:
            chat(conn, who, log, args.idle_timeout)
        finally:
            conn.close()
            print(f"[SERVER] @{now()} {who} Closed connection", flush=True)
    print("[SERVER] Shutting down", flush=True)
    srv.close()


if __name__ == "__main__":
    main()
