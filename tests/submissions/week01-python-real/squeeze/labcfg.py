import os, sys

def _get(name, default, lo, hi):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        v = int(raw.strip())
        if not lo <= v <= hi:
            raise ValueError
        return v
    except ValueError:
        print(f'error: invalid value "{raw}" in the environment variable {name}', file=sys.stderr)
        sys.exit(2)

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip().strip("[]")
PORT = _get("LAB_PORT", 5000, 0, 65535)
BUF = _get("LAB_BUFFER_SIZE", 1024, 1, 16777216)
TIMEOUT = _get("LAB_TIMEOUT", 5, 1, 86400)
MAX_CLIENTS = _get("LAB_MAX_CLIENTS", 64, 1, 100000)

def fmt(addr):
    h, p = addr[0], addr[1]
    return f"[{h}]:{p}" if ":" in h else f"{h}:{p}"

def esc(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\n": out.append("\\n")
        elif ch == "\r": out.append("\\r")
        elif ch == "\t": out.append("\\t")
        elif o < 0x20 or 0x7f <= o <= 0x9f: out.append("\\u{%x}" % o)
        else: out.append(ch)
    return "".join(out)
