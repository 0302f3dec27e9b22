# Extension D: threaded server. Each client gets its own thread.
import os, socket, threading, signal, sys
HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))
TIMEOUT = float(os.getenv("LAB_TIMEOUT", "5"))

def handle(conn, addr):
    who = f"{addr[0]}:{addr[1]}"
    with conn:
        conn.settimeout(TIMEOUT)
        try:
            data = conn.recv(1024)
        except socket.timeout:
            print(f"[SERVER] {who} Timed out", flush=True)
            return
        if not data:
            print(f"[SERVER] {who} Closed without sending", flush=True)
            return
        text = data.decode("utf-8", errors="replace")
        print(f"[SERVER] {who} Received: {text}", flush=True)
        conn.sendall(f"ACK: {text}".encode())

def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, PORT))
    srv.listen(16)
    print(f"[SERVER] Listening on {HOST}:{srv.getsockname()[1]}", flush=True)
    conn, addr = srv.accept()
    print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
    t = threading.Thread(target=handle, args=(conn, addr))
    t.start()
    t.join()
    srv.close()

main()
