# Extension D - threaded server
import os, socket, sys, threading, time

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))
BUF = int(os.getenv("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.getenv("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.getenv("LAB_MAX_CLIENTS", "64"))

active = 0            # how many clients are being served
current_peer = None   # address of the client we're talking to


def log(msg):
    print("[SERVER] " + msg, flush=True)


def handle(conn):
    global active
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUF)
    except socket.timeout:
        log(f"{current_peer} sent nothing within {TIMEOUT}s; closing")
        conn.close()
        return
    if not data:
        log(f"{current_peer} closed without sending")
        conn.close()
        return
    try:
        msg = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        conn.sendall(b"ERROR: Invalid UTF-8")
        conn.close()
        active -= 1
        return
    if not msg:
        reply = "ERROR: Empty message"
    elif len(msg) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = "ACK: " + msg
    log(f"{current_peer} Received: {msg}")
    conn.sendall(reply.encode())
    log(f"{current_peer} Sent: {reply}")
    conn.close()
    log(f"{current_peer} Closed connection")
    active -= 1


def main():
    global active, current_peer
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((HOST, PORT))
    except OSError:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
        sys.exit(1)
    s.listen(16)
    log(f"Listening on {HOST}:{s.getsockname()[1]}")
    try:
        while True:
            conn, addr = s.accept()
            current_peer = f"{addr[0]}:{addr[1]}"
            if active >= MAX_CLIENTS:
                log(f"{current_peer} refused: server busy ({MAX_CLIENTS} clients)")
                conn.sendall(b"Server busy, try again later")
                conn.close()
                continue
            log(f"Connection from {current_peer}")
            active += 1
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
    except KeyboardInterrupt:
        log("Shutting down")
        s.close()
        sys.exit(0)


main()
