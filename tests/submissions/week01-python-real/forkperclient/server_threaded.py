# Extension D, the Unix way: fork() a child process per client.
# The parent only accepts; each child serves one client and exits.
import os
import signal
import socket
import sys
import time

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))
MAX_CLIENTS = int(os.environ.get("LAB_MAX_CLIENTS", "64"))

children = set()
stopping = False


def on_signal(signum, frame):
    global stopping
    stopping = True


def reap():
    for pid in list(children):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)


def serve(conn, who):
    # Ctrl+C reaches every process of the terminal: only the parent acts on it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    conn.settimeout(TIMEOUT)
    try:
        data = conn.recv(1024)
        if not data:
            print(f"[SERVER] Client {who} closed without sending", flush=True)
            return
        try:
            text = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            conn.sendall(b"ERROR: Invalid UTF-8")
            return
        print(f"[SERVER] {who} Received: {text.encode('unicode_escape').decode()}", flush=True)
        if not text:
            reply = "ERROR: Empty message"
        elif len(text) > 100:
            reply = "ERROR: Message too long"
        else:
            reply = f"ACK: {text}"
        conn.sendall(reply.encode("utf-8"))
        print(f"[SERVER] {who} Sent: {reply.encode('unicode_escape').decode()}", flush=True)
    except socket.timeout:
        print(f"[SERVER] Client {who} sent nothing within {TIMEOUT}s; closing", flush=True)
    finally:
        conn.close()
        print(f"[SERVER] Closed connection with {who}", flush=True)


def main():
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, PORT))
    listener.listen(128)
    listener.settimeout(0.2)  # look at the flag five times a second
    print(f"[SERVER] Listening on {HOST}:{listener.getsockname()[1]}", flush=True)
    while not stopping:
        reap()
        try:
            conn, addr = listener.accept()
        except (socket.timeout, InterruptedError):
            continue
        who = f"{addr[0]}:{addr[1]}"
        if len(children) >= MAX_CLIENTS:
            conn.sendall(b"ERROR: Server busy")
            conn.close()
            continue
        print(f"[SERVER] Connection from {who}", flush=True)
        pid = os.fork()
        if pid == 0:
            listener.close()
            serve(conn, who)
            os._exit(0)
        children.add(pid)
        conn.close()
    listener.close()
    # let the clients in flight finish (each is bounded by LAB_TIMEOUT)
    deadline = time.monotonic() + TIMEOUT + 1
    while children and time.monotonic() < deadline:
        reap()
        time.sleep(0.05)
    print("[SERVER] Shutting down", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
