"""Helpdesk chat server: one caller at a time, lines, a durable log."""
import argparse
import datetime
import errno
import os
import select
import signal
import socket
import sys
import time

from labcfg import load, make_logger, fmt_addr, esc

log = make_logger("SERVER")
MAX_LINE = 64 * 1024


class Stop(Exception):
    pass


def now_hms():
    return datetime.datetime.now().strftime("%H:%M:%S")


def log_escape(text):
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or 0x7F <= o <= 0x9F:
            out.append("\\u{%x}" % o)
        else:
            out.append(ch)
    return "".join(out)


def session(conn, peer, bufsize, idle, logfile):
    buf = b""
    line_start = time.monotonic()
    while True:
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            line_start = time.monotonic()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue  # not text: skip it
            if not text.strip():
                log.info(f"@{now_hms()} {peer} Rejected: empty line")
                conn.sendall(b"[ERROR] Empty message\n")
                continue
            if logfile is not None:
                stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
                logfile.write(f"{stamp} {peer} {text}\n")
                logfile.flush()
                os.fsync(logfile.fileno())
            log.info(f"@{now_hms()} {peer} Client: {esc(text)}")
            conn.sendall(f"[ACK @{now_hms()}] {text}\n".encode("utf-8"))
        if len(buf) > MAX_LINE:
            log.info(f"@{now_hms()} {peer} line longer than 64 KiB; closing")
            return
        remaining = idle - (time.monotonic() - line_start)
        if remaining <= 0:
            log.info(f"@{now_hms()} {peer} idle for {idle}s: no complete line ({len(buf)} bytes of one so far); closing")
            return
        conn.settimeout(remaining)
        try:
            chunk = conn.recv(bufsize)
        except socket.timeout:
            continue
        except OSError as e:
            log.info(f"@{now_hms()} {peer} Error: {e}")
            return
        if not chunk:
            if buf:
                log.info(f"@{now_hms()} {peer} closed in the middle of a line ({len(buf)} bytes dropped)")
            return
        if not buf:
            line_start = time.monotonic()
        buf += chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log")
    ap.add_argument("--idle-timeout", type=int, default=120)
    args = ap.parse_args()
    host, port, bufsize, timeout, _ = load("SERVER")

    def stop(signum, frame):
        raise Stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    logfile = open(args.log, "a", encoding="utf-8") if args.log else None
    lsock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind((host, port))
        lsock.listen(5)
    except OSError as e:
        log.error(f"Error: cannot listen on {host}:{port}: {e.strerror.lower()}")
        return 1
    log.info(f"Listening on {fmt_addr(lsock.getsockname())}")
    try:
        while True:
            conn, addr = lsock.accept()
            peer = fmt_addr(addr)
            log.info(f"@{now_hms()} Connection from {peer}")
            try:
                session(conn, peer, bufsize, args.idle_timeout, logfile)
            except OSError as e:
                log.info(f"@{now_hms()} {peer} Error: {e}")
            finally:
                conn.close()
                log.info(f"@{now_hms()} {peer} Closed connection")
    except Stop:
        pass
    log.info("Shutting down")
    lsock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
