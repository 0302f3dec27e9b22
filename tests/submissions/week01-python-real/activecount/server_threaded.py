# Week 1, extension D: threaded server
# one thread per client, max LAB_MAX_CLIENTS at a time
import os
import socket
import threading

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = float(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))


def handle(conn, addr):
    who = f"{addr[0]}:{addr[1]}"
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(1024)
        if not data:
            print(f"[SERVER] {who} closed without sending", flush=True)
            return
        text = data.decode("utf-8").strip()
        print(f"[SERVER] {who} Received: {text}", flush=True)
        if text == "":
            reply = "ERROR: Empty message"
        elif len(text) > 100:
            reply = "ERROR: Message too long"
        else:
            reply = "ACK: " + text
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] {who} Sent: {reply}", flush=True)
    except socket.timeout:
        print(f"[SERVER] {who} timed out", flush=True)
    except UnicodeDecodeError:
        conn.sendall(b"ERROR: Invalid UTF-8")
    finally:
        conn.close()
        print(f"[SERVER] Closed connection with {who}", flush=True)


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen(10)
    print(f"[SERVER] Listening on {HOST}:{server.getsockname()[1]}", flush=True)
    server.settimeout(0.5)  # so Ctrl+C works
    try:
        while True:
            try:
                conn, addr = server.accept()
            except socket.timeout:
                continue
            # how many clients are being served right now
            if threading.active_count() >= MAX_CLIENTS:
                conn.sendall(b"ERROR: Server busy")
                conn.close()
                print(f"[SERVER] Refused {addr[0]}:{addr[1]}: busy", flush=True)
                continue
            print(f"[SERVER] Connection from {addr[0]}:{addr[1]}", flush=True)
            threading.Thread(target=handle, args=(conn, addr), daemon=True).start()
    except KeyboardInterrupt:
        print("[SERVER] Shutting down", flush=True)
    server.close()


main()
