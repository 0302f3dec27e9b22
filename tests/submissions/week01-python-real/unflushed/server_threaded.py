# Extension D -- threaded version of my server. One thread per client so
# nobody has to wait. (Prints still not flushed, same as server.py.)
import os
import socket
import threading

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "5"))  # TODO use this


def handle(conn, addr):
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUF)
    except socket.timeout:
        print("[SERVER] Client sent nothing, closing")
        conn.close()
        return
    if not data:
        print("[SERVER] Client closed without sending anything")
        conn.close()
        return
    text = data.decode("utf-8", errors="replace")
    print(f"[SERVER] {addr} Recieved: {text}")
    msg = text.strip()
    if msg == "":
        reply = "ERROR: Empty message"
    elif len(msg) > 100:
        reply = "ERROR: Message too long"
    else:
        reply = "ACK: " + msg
    conn.sendall(reply.encode())
    print(f"[SERVER] {addr} Sent: {reply}")
    conn.close()


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, PORT))
    srv.listen(5)
    print(f"[SERVER] Threaded server listening on {HOST}:{PORT}")
    try:
        while True:
            conn, addr = srv.accept()
            print("[SERVER] Connection from", addr)
            t = threading.Thread(target=handle, args=(conn, addr), daemon=True)
            t.start()
    except KeyboardInterrupt:
        print("[SERVER] Shutting down")
    srv.close()


main()
