import argparse, datetime, os, select, signal, socket, sys, time

def esc_record(text):
    # one record per line: let python escape whatever needs escaping
    return text.encode("unicode_escape").decode("ascii")

STYLE = os.environ.get("STYLE", "utc_z")
IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
def stamp():
    now = datetime.datetime.now(datetime.timezone.utc)
    if STYLE == "utc_z": return now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if STYLE == "micro": return now.isoformat()
    if STYLE == "ist": return now.astimezone(IST).isoformat(timespec="seconds")
    if STYLE == "ist_ms": return now.astimezone(IST).isoformat(timespec="milliseconds")
    if STYLE == "minus": return now.astimezone(datetime.timezone(datetime.timedelta(hours=-7))).isoformat(timespec="seconds")
    if STYLE == "lower": return now.strftime("%Y-%m-%dt%H:%M:%Sz")
    if STYLE == "negzero": return now.strftime("%Y-%m-%dT%H:%M:%S-00:00")
    if STYLE == "local": return datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    if STYLE == "nanos": return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%09dZ" % (time.time_ns() % 1_000_000_000)
    raise SystemExit("bad STYLE")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log"); ap.add_argument("--idle-timeout", type=float, default=120)
    a = ap.parse_args()
    host = os.environ.get("LAB_HOST", "127.0.0.1").strip(); port = int(os.environ.get("LAB_PORT", "5000").strip())
    logf = open(a.log, "a", encoding="utf-8") if a.log else None
    stop = []
    signal.signal(signal.SIGTERM, lambda *x: stop.append(1)); signal.signal(signal.SIGINT, lambda *x: stop.append(1))
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        ls.bind((host, port)); ls.listen()
    except OSError:
        print(f"[SERVER] Error: cannot listen on {host}:{port}: address already in use", file=sys.stderr); return 1
    print(f"[SERVER] Listening on {host}:{ls.getsockname()[1]}", flush=True)
    while not stop:
        r, _, _ = select.select([ls], [], [], 0.2)
        if not r: continue
        c, addr = ls.accept(); peer = f"{addr[0]}:{addr[1]}"
        hm = lambda: time.strftime("%H:%M:%S")
        print(f"[SERVER] @{hm()} Connection from {peer}", flush=True)
        buf = b""; since = time.monotonic()
        while not stop:
            left = a.idle_timeout - (time.monotonic() - since)
            if left <= 0:
                print(f"[SERVER] @{hm()} {peer} idle for {a.idle_timeout:g}s: no complete line ({len(buf)} bytes of one so far); closing", flush=True); break
            r, _, _ = select.select([c], [], [], min(left, 0.2))
            if not r: continue
            try: d = c.recv(4096)
            except OSError: break
            if not d: break
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1); since = time.monotonic()
                if line.endswith(b"\r"): line = line[:-1]
                try: text = line.decode("utf-8")
                except UnicodeDecodeError:
                    print(f"[SERVER] @{hm()} {peer} Rejected: invalid UTF-8 ({len(line)} bytes)", flush=True)
                    c.sendall(b"[ERROR] Invalid UTF-8\n"); continue
                if not text.strip():
                    c.sendall(b"[ERROR] Empty message\n"); continue
                t = hm()
                print(f"[SERVER] @{t} {peer} Client: {text.encode('unicode_escape').decode()}", flush=True)
                if logf:
                    logf.write(f"{stamp()} {peer} {esc_record(text)}\n"); logf.flush(); os.fsync(logf.fileno())
                c.sendall(f"[ACK @{t}] {text}\n".encode())
            if len(buf) > 65536:
                print(f"[SERVER] @{hm()} {peer} line too long; closing", flush=True); break
        c.close(); print(f"[SERVER] @{hm()} {peer} Closed connection", flush=True)
    print("[SERVER] Shutting down", flush=True)
    return 0

if __name__ == "__main__":
    sys.exit(main())
