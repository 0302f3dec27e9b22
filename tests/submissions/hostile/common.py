"""Shared by the hostile fixtures: a time bound and a plain one-shot server.

Every fixture takes a marker as its first argument (the tests look for it in
/proc afterwards to prove nothing was left running) and ends by itself after
LIFETIME seconds whatever happens, so a fixture that escapes the grader still
cannot run for long.
"""

import os
import signal
import socket
import sys
import time

LIFETIME = 20


def bound(seconds=LIFETIME):
    """SIGALRM ends this process after `seconds` (its default action).

    Trap: alarms are not inherited by fork(); every child must call it too.
    """
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(seconds)


def say(line):
    print(line, flush=True)


def listen():
    """socket, bind, listen on LAB_HOST:LAB_PORT (0: any free port)."""
    host = os.environ.get("LAB_HOST", "127.0.0.1")
    port = int(os.environ.get("LAB_PORT", "0"))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(16)
    return server


def announce(server):
    host, port = server.getsockname()
    say(f"[SERVER] Listening on {host}:{port}")


def serve_once(server):
    """One correct Week 1 session: receive, reply `ACK: ...`, close."""
    conn, (host, port) = server.accept()
    say(f"[SERVER] Connection from {host}:{port}")
    conn.settimeout(float(os.environ.get("LAB_TIMEOUT", "2")))
    try:
        data = conn.recv(int(os.environ.get("LAB_BUFFER_SIZE", "1024")))
    except socket.timeout:
        say(f"[SERVER] {host}:{port} sent nothing; closing")
        conn.close()
        return
    message = data.decode("utf-8", "replace").strip()
    say(f"[SERVER] Received: {message}")
    reply = f"ACK: {message}"
    conn.sendall(reply.encode())
    say(f"[SERVER] Sent: {reply}")
    conn.close()
    say("[SERVER] Closed connection")


def server_main():
    server = listen()
    announce(server)
    serve_once(server)
    server.close()


def loopback_listeners():
    """Ports listening on 127.0.0.1, from the kernel's table (Linux)."""
    ports = set()
    try:
        with open("/proc/net/tcp") as table:
            for row in table.readlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port = local.split(":")
                if state == "0A" and address == "0100007F":
                    ports.add(int(port, 16))
    except OSError:
        pass
    return sorted(ports)


def deadline(seconds):
    return time.monotonic() + seconds


def main_guard(main):
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
