# Lab 1 - extension D (threaded server)
# every client gets its own thread; we keep count so we never go over the max
import os
import socket
import sys
import threading

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))

active = 0
lock = threading.Lock()


def client_thread(conn, addr):
    global active
    name = f"{addr[0]}:{addr[1]}"
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(BUFFER)
    except socket.timeout:
        print(f"[SERVER] Client {name} sent nothing within {TIMEOUT}s; closing", flush=True)
        conn.close()
        return
    if data:
        try:
            msg = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            msg = None
        if msg is None:
            reply = "ERROR: Invalid UTF-8"
        elif msg == "":
            reply = "ERROR: Empty message"
        elif len(msg) > 100:
            reply = "ERROR: Message too long"
        else:
            print(f"[SERVER] {name} Received: {msg}", flush=True)
            reply = "ACK: " + msg
        conn.sendall(reply.encode())
        print(f"[SERVER] {name} Sent: {reply}", flush=True)
    conn.close()
    print(f"[SERVER] {name} Closed connection", flush=True)
    with lock:
        active -= 1


def main():
    global active
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen()
    print(f"[SERVER] Listening on {HOST}:{s.getsockname()[1]}", flush=True)
    s.settimeout(1)
    threads = []
    try:
        while True:
            try:
                conn, addr = s.accept()
            except socket.timeout:
                continue
            with lock:
                busy = active >= MAX_CLIENTS
                if not busy:
                    active += 1
            if busy:
                conn.sendall(b"ERROR: Server busy")
                conn.close()
                print(f"[SERVER] {addr[0]}:{addr[1]} refused: server busy ({MAX_CLIENTS} clients)", flush=True)
                continue
            print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
            t = threading.Thread(target=client_thread, args=(conn, addr))
            t.start()
            threads.append(t)
    except KeyboardInterrupt:
        print("[SERVER] Shutting down", flush=True)
        s.close()
        for t in threads:
            t.join(TIMEOUT)
        sys.exit(0)


if __name__ == "__main__":
    main()
