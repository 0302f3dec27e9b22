"""Shared by every program: the LAB_* configuration and small helpers.

Each setting comes from an environment variable, with the lab's default:

    LAB_HOST         127.0.0.1  address to bind (servers) or connect to (clients)
    LAB_PORT         5000       TCP port; 0 on a server means "any free port"
    LAB_BUFFER_SIZE  1024       bytes per recv()
    LAB_TIMEOUT      5          seconds a client waits for a reply, and a
                                server for a connected client's data
    LAB_MAX_CLIENTS  64         threaded server: clients served at once

A bad value is a usage error: a message on stderr and exit status 2.
"""

import os
import signal
import socket
import sys
import threading
import unicodedata


def _setting(name, default, convert, valid, meaning):
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not valid(value):
        print(f"[CONFIG] Error: {name}={text!r} is not {meaning}", file=sys.stderr, flush=True)
        sys.exit(2)
    return value


HOST = os.environ.get("LAB_HOST", "").strip() or "127.0.0.1"
PORT = _setting("LAB_PORT", 5000, int, lambda v: 0 <= v <= 65535, "a port number (0-65535)")
BUFFER_SIZE = _setting("LAB_BUFFER_SIZE", 1024, int, lambda v: v >= 1, "a positive number of bytes")
TIMEOUT = _setting("LAB_TIMEOUT", 5.0, float, lambda v: 0 < v < 86400, "a positive number of seconds")
MAX_CLIENTS = _setting("LAB_MAX_CLIENTS", 64, int, lambda v: v >= 1, "a positive number")

# print() from several threads can interleave a line with its newline: one
# lock, and every line flushed at once. Without flush, a program whose stdout
# is a pipe (a grader, a script, `| tee`) shows nothing until it exits.
_print_lock = threading.Lock()


def say(line):
    """Print one console line to stdout, flushed."""
    with _print_lock:
        print(line, flush=True)


def escape(text):
    """A message from the network for the console: control characters
    written as Rust writes them (\\n, \\r, \\t, \\u{1b}), so that one event
    stays one line and no escape sequence reaches the terminal."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(
        named.get(c) or (f"\\u{{{ord(c):x}}}" if unicodedata.category(c) == "Cc" else c)
        for c in text
    )


def complain(line):
    """Print one error line to stderr, flushed."""
    with _print_lock:
        print(line, file=sys.stderr, flush=True)


def address(host, port):
    """HOST:PORT the way the lab prints it ([::1]:5000 for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def peer_text(addr):
    """accept() gives a tuple ('127.0.0.1', 54321); print it as 127.0.0.1:54321."""
    return address(addr[0], addr[1])


def describe(error):
    """An OSError in plain words: 'address already in use', 'connection refused'."""
    if isinstance(error, socket.timeout):
        return "timed out"
    text = error.strerror or str(error) or type(error).__name__
    return text[:1].lower() + text[1:]


def timeout_text(seconds):
    return f"{seconds:g}s"


def open_listener(host, port, backlog=64):
    """The server ritual up to listen(): socket, SO_REUSEADDR, bind, listen."""
    family, kind, proto, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    # 1. socket(): a TCP endpoint of the address's family.
    server = socket.socket(family, kind, proto)
    try:
        # 2. SO_REUSEADDR: we close connections first, so they wait in
        #    TIME_WAIT; without this, a restart fails with "address in use".
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # 3. bind(): claim the address and port (a busy port fails here).
        server.bind(sockaddr)
        # 4. listen(): a queue for clients arriving before accept(). A tiny
        #    backlog drops connections when several arrive at once.
        server.listen(backlog)
    except BaseException:
        server.close()
        raise
    return server


def interrupt_on_sigterm():
    """Make SIGTERM (kill PID) behave like Ctrl+C: raise KeyboardInterrupt.

    The exception interrupts a blocking accept() or recv() in the main thread,
    so the server can print its last line and exit 0.
    """

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def ignore_signals():
    """Once shutting down, a second Ctrl+C must not cut the clean-up short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)



# Handy for the client: is a server up and answering right now? Checked
# once, here, so that every program can look at SERVER_UP.
def _server_is_up():
    try:
        with socket.create_connection((HOST, PORT), timeout=1) as probe:
            probe.sendall(b"ping")
            return probe.recv(BUFFER_SIZE).startswith(b"ACK")
    except OSError:
        return False


SERVER_UP = _server_is_up()
