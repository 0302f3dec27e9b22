# helpers.py - shared code for lab 1 (CS-NET, group 7)
import os

print("=== lab1 helpers loaded (group 7) ===", flush=True)

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
BUF = int(os.environ.get("LAB_BUFFER_SIZE", "1024"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))


def log(*parts):
    print(*parts, flush=True)
