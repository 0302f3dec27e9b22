import socket
import sys

import config

DEFAULT = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]

messages = sys.argv[1:] or DEFAULT
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((config.HOST, config.PORT))
s.settimeout(config.TIMEOUT)
for m in messages:
    s.sendall(m.encode())  # the server reads whatever comes
    try:
        reply = s.recv(config.BUFFER_SIZE).decode()
    except socket.timeout:
        print("[CLIENT] no answer", file=sys.stderr)
        sys.exit(1)
    print(f"[CLIENT] {reply.strip()}", flush=True)
s.close()
