# Mini chat lab: chat server (one client at a time).
# usage: python3 chat_server.py [--log FILE] [--idle-timeout SECS]
import argparse
import datetime
import os
import signal
import socket
import sys
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000").strip())

running = True


def stop(signum, frame):
    global running
    running = False


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


def open_log(path):
    # a fresh log for this run
    if os.environ.get("LOG_OPEN") == "os":
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        return os.fdopen(fd, "w", encoding="utf-8")
    return open(path, "w", encoding="utf-8")


def clock():
    return time.strftime("%H:%M:%S")


def serve(conn, peer, log, idle):
    buf = b""
    conn.settimeout(0.25)
    deadline = time.monotonic() + idle
    while running:
        if time.monotonic() > deadline:
            print(f"[SERVER] @{clock()} {peer} idle for {idle:g}s: no complete line ({len(buf)} bytes of one so far); closing", flush=True)
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
        if len(buf) > 65536 and b"\n" not in buf:
            print(f"[SERVER] @{clock()} {peer} line too long; closing", flush=True)
            return
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            deadline = time.monotonic() + idle
            raw = raw.rstrip(b"\r")
            try:
                msg = raw.decode("utf-8")
            except UnicodeDecodeError:
                conn.sendall(b"[ERROR] Invalid UTF-8\n")
                continue
            if msg.strip() == "":
                conn.sendall(b"[ERROR] Empty message\n")
                continue
            t = clock()
            print(f"[SERVER] @{t} {peer} Client: {escape(msg)}", flush=True)
            if log:
                # local time, like the console
                log.write(f"{datetime.datetime.now().isoformat(timespec='seconds')} {peer} {escape(msg)}\n")
                log.flush()
                os.fsync(log.fileno())
            conn.sendall(f"[ACK @{t}] {msg}\n".encode("utf-8"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log")
    parser.add_argument("--idle-timeout", type=float, default=120.0)
    args = parser.parse_args()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    log = open_log(args.log) if args.log else None
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind((HOST, PORT))
        srv.listen(5)
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {e.strerror.lower()}", file=sys.stderr)
        sys.exit(1)
    print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
    srv.settimeout(0.25)
    while running:
        try:
            conn, addr = srv.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        peer = f"{addr[0]}:{addr[1]}"
        print(f"[SERVER] @{clock()} Connection from {peer}", flush=True)
        try:
            serve(conn, peer, log, args.idle_timeout)
        finally:
            conn.close()
            print(f"[SERVER] @{clock()} {peer} Closed connection", flush=True)
    print("[SERVER] Shutting down", flush=True)
    srv.close()
    if log:
        log.close()


if __name__ == "__main__":
    main()
