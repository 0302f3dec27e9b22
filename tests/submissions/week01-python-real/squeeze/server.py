import socket, sys, time
from labcfg import HOST, PORT, BUF, TIMEOUT, fmt, esc
from rules import reply_for

def main():
    fam = socket.AF_INET6 if ":" in HOST else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        ls.bind((HOST, PORT)); ls.listen()
    except OSError as e:
        why = "address already in use" if e.errno == 98 else e.strerror
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {why}", file=sys.stderr, flush=True)
        return 1
    print(f"[SERVER] Listening on {fmt(ls.getsockname())}", flush=True)
    conn, addr = ls.accept()
    peer = fmt(addr)
    print(f"[SERVER] Connection from {peer}", flush=True)
    with conn:
        conn.settimeout(TIMEOUT)
        try:
            data = conn.recv(BUF)
        except socket.timeout:
            print(f"[SERVER] Client {peer} sent nothing within {TIMEOUT}s; closing", flush=True)
            return 0
        if not data:
            print(f"[SERVER] Client {peer} closed without sending", flush=True)
            return 0
        time.sleep(0.2)  # "processing"
        msg, reply = reply_for(data)
        if msg is None:
            print(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)", flush=True)
        else:
            print(f"[SERVER] Received: {esc(msg)}", flush=True)
        conn.sendall(reply.encode())
        print(f"[SERVER] Sent: {esc(reply)}", flush=True)
    print("[SERVER] Closed connection", flush=True)
    return 0

if __name__ == "__main__":
    sys.exit(main())
