# chat client - week 1 mini chat lab
# a thread prints what the server sends, the main thread sends the lines
import os
import socket
import sys
import threading

HOST = os.getenv("LAB_HOST", "127.0.0.1")
PORT = int(os.getenv("LAB_PORT", "5000"))

DEFAULTS = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]


def listen_for_acks(sock):
    buffer = b""
    while True:
        try:
            data = sock.recv(1024)
        except OSError:
            break
        if not data:
            break
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            print("[CLIENT] " + line.decode("utf-8", "replace"), flush=True)


def main():
    args = sys.argv[1:]
    interactive = args[:1] == ["-i"] or (not args and sys.stdin.isatty())
    try:
        sock = socket.create_connection((HOST, PORT), timeout=5)
    except OSError as e:
        print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    # the thread is a daemon so that Ctrl+C does not hang on it
    receiver = threading.Thread(target=listen_for_acks, args=(sock,), daemon=True)
    receiver.start()
    if interactive:
        while True:
            try:
                text = input("Enter message to send: ")
            except EOFError:
                break
            if text.strip():
                sock.sendall((text + "\n").encode())
    else:
        for text in args or DEFAULTS:
            sock.sendall((text + "\n").encode())
    # all sent: we are done
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    print("[CLIENT] Closed connection", flush=True)


if __name__ == "__main__":
    main()
