"""Shared helpers for py_a (imported; no side effects at import time)."""
import os, sys, socket

RUST_WS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

def out(line):
    data = (line + "\n").encode("utf-8", "surrogateescape")
    while data:
        n = os.write(1, data)
        data = data[n:]

def err(line):
    data = (line + "\n").encode("utf-8", "surrogateescape")
    while data:
        n = os.write(2, data)
        data = data[n:]

def esc(s):
    o = []
    for ch in s:
        c = ord(ch)
        if ch == "\n": o.append("\\n")
        elif ch == "\r": o.append("\\r")
        elif ch == "\t": o.append("\\t")
        elif ch == "\0": o.append("\\0")
        elif c < 0x20 or 0x7f <= c <= 0x9f: o.append("\\u{%x}" % c)
        else: o.append(ch)
    return "".join(o)

def log_esc(s):
    o = []
    for ch in s:
        c = ord(ch)
        if ch == "\\": o.append("\\\\")
        elif ch == "\n": o.append("\\n")
        elif ch == "\r": o.append("\\r")
        elif ch == "\t": o.append("\\t")
        elif c < 0x20 or 0x7f <= c <= 0x9f: o.append("\\u{%x}" % c)
        else: o.append(ch)
    return "".join(o)

def fail_usage(prefix, name, val, why):
    err('%s Error: %s="%s": %s' % (prefix, name, val, why))
    sys.exit(2)

def config(prefix):
    env = os.environ
    host = env.get("LAB_HOST", "127.0.0.1").strip() or "127.0.0.1"
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    def num(name, default, lo, hi, why):
        raw = env.get(name)
        if raw is None:
            return default
        v = raw.strip()
        if not v.isdigit() or not v.isascii():
            fail_usage(prefix, name, raw, why)
        n = int(v)
        if n < lo or n > hi:
            fail_usage(prefix, name, raw, why)
        return n
    port = num("LAB_PORT", 5000, 0, 65535, "not a port number (0 to 65535)")
    buf = num("LAB_BUFFER_SIZE", 1024, 1, 16777216, "not a buffer size (1 to 16777216)")
    tmo = num("LAB_TIMEOUT", 5, 1, 86400, "not a whole number of seconds (1 to 86400)")
    maxc = num("LAB_MAX_CLIENTS", 64, 1, 100000, "not a number of clients (1 to 100000)")
    return host, port, buf, tmo, maxc

def fmt_addr(sa):
    host, port = sa[0], sa[1]
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)

def trim(s):
    return s.strip(RUST_WS)

def open_listener(prefix, host, port, backlog=128):
    """getaddrinfo + SO_REUSEADDR via this helper; returns socket or exits 1."""
    shown = fmt_addr((host, port))
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        err("%s Error: cannot listen on %s: %s" % (prefix, shown, e.strerror))
        sys.exit(1)
    last = None
    for fam, typ, proto, _, sa in infos:
        s = socket.socket(fam, typ, proto)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(sa)
            s.listen(backlog)
            return s
        except OSError as e:
            last = e
            s.close()
    why = "address already in use" if getattr(last, "errno", None) == 98 else (last.strerror if last else "no address")
    err("%s Error: cannot listen on %s: %s" % (prefix, shown, why))
    sys.exit(1)
