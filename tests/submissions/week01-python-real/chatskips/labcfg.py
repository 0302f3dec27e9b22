"""Settings for all my week 1 programs (LAB_* environment variables)."""
import ipaddress
import logging
import os
import socket
import sys


class ConfigError(Exception):
    pass


def _int(name, default, lo, hi, what):
    raw = os.environ.get(name)
    if raw is None:
        return default
    val = raw.strip()
    if not val.isdigit():
        raise ConfigError(f'{name}="{raw}": {what}')
    n = int(val)
    if n < lo or n > hi:
        raise ConfigError(f'{name}="{raw}": {what}')
    return n


def load(tag):
    try:
        host = os.environ.get("LAB_HOST", "127.0.0.1").strip() or "127.0.0.1"
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        port = _int("LAB_PORT", 5000, 0, 65535, "not a port number (0 to 65535)")
        bufsize = _int("LAB_BUFFER_SIZE", 1024, 1, 16777216, "not a buffer size (1 to 16777216)")
        timeout = _int("LAB_TIMEOUT", 5, 1, 86400, "not a whole number of seconds (1 to 86400)")
        maxc = _int("LAB_MAX_CLIENTS", 64, 1, 100000, "not a client count (1 to 100000)")
    except ConfigError as e:
        print(f"[{tag}] Error: {e}", file=sys.stderr, flush=True)
        sys.exit(2)
    return host, port, bufsize, timeout, maxc


def make_logger(tag):
    """INFO and below to stdout, errors to stderr; StreamHandler flushes every record."""
    log = logging.getLogger(tag)
    log.setLevel(logging.INFO)
    log.propagate = False
    fmt = logging.Formatter(f"[{tag}] %(message)s")
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(fmt)
    out.addFilter(lambda rec: rec.levelno < logging.ERROR)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(fmt)
    err.setLevel(logging.ERROR)
    log.addHandler(out)
    log.addHandler(err)
    return log


def fmt_addr(addr):
    host, port = addr[0], addr[1]
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def esc(text):
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\n":
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


def check_message(data):
    """Extension B: returns (text_or_None, reply)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "ERROR: Invalid UTF-8"
    msg = text.strip()
    if not msg:
        return text, "ERROR: Empty message"
    if len(msg) > 100:
        return text, "ERROR: Message too long"
    return text, "ACK: " + msg
