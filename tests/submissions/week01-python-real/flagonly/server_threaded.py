#!/usr/bin/env python3
"""Threaded TCP server for lab 1 (extension D)."""
import os
import signal
import socket
import sys
import threading

HOST = os.environ.get("LAB_HOST", "127.0.0.1").strip()
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUFFER = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))

running = True
slots = threading.BoundedSemaphore(MAX_CLIENTS)
workers = []


def on_term(signum, frame):
    # stop the main loop; the clients that are connected get to finish
    global running
    running = False


def handle(conn, who):
    try:
        conn.settimeout(TIMEOUT)
        try:
            data = conn.recv(BUFFER)
        except socket.timeout:
            print(f"[SERVER] {who} Client sent nothing within {TIMEOUT}s; closing", flush=True)
            return
        except OSError as e:
            print(f"[SERVER] {who} Error: {e}", flush=True)
            return
        if not data:
            print(f"[SERVER] {who} Client closed without sending", flush=True)
            return
        try:
            text = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            reply = "ERROR: Invalid UTF-8"
            text = None
        else:
            print(f"[SERVER] {who} Received: {text}", flush=True)
            if text == "":
                reply = "ERROR: Empty message"
            elif len(text) > 100:
                reply = "ERROR: Message too long"
            else:
                reply = "ACK: " + text
        try:
            conn.sendall(reply.encode())
            print(f"[SERVER] {who} Sent: {reply}", flush=True)
        except OSError as e:
            print(f"[SERVER] {who} Error: {e}", flush=True)
    finally:
        conn.close()
        print(f"[SERVER] {who} Closed connection", flush=True)
        slots.release()


def main():
    signal.signal(signal.SIGTERM, on_term)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((HOST, PORT))
    except OSError:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", file=sys.stderr)
        return 1
    s.listen(5)
    print(f"[SERVER] Listening on {HOST}:{s.getsockname()[1]}", flush=True)
    try:
        while running:
            conn, addr = s.accept()
            who = f"{addr[0]}:{addr[1]}"
            print(f"[SERVER] Connection from {who}", flush=True)
            if not slots.acquire(blocking=False):
                conn.sendall(b"ERROR: Server busy")
                conn.close()
                continue
            t = threading.Thread(target=handle, args=(conn, who))
            t.start()
            workers.append(t)
    except KeyboardInterrupt:
        pass
    print("[SERVER] Shutting down", flush=True)
    s.close()
    for t in workers:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
