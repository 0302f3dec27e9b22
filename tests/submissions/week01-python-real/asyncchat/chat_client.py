# Mini chat lab - client (asyncio as well)
import asyncio
import os
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))

DEFAULT = ["Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"]


async def send_and_wait(reader, writer, msg):
    writer.write((msg + "\n").encode("utf-8"))
    await writer.drain()
    try:
        line = await asyncio.wait_for(reader.readline(), TIMEOUT)
    except asyncio.TimeoutError:
        print("[CLIENT] Server did not respond in time", file=sys.stderr, flush=True)
        return False
    if not line:
        print("[CLIENT] Server closed the connection without replying", file=sys.stderr, flush=True)
        return False
    print("[CLIENT] " + line.decode("utf-8").rstrip("\n"), flush=True)
    return True


async def main():
    words = sys.argv[1:]
    interactive = False
    if not words or words[0] == "-i":
        # no messages given -> ask the user for them
        interactive = True
    try:
        reader, writer = await asyncio.open_connection(HOST, PORT)
    except OSError:
        print(f"[CLIENT] Error: could not connect to {HOST}:{PORT}: connection refused (is the server running?)",
              file=sys.stderr, flush=True)
        return 1
    print(f"[CLIENT] Connected to {HOST}:{PORT}", flush=True)
    ok = True
    if interactive:
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line:
                break
            if not await send_and_wait(reader, writer, line):
                ok = False
                break
    else:
        for msg in words:
            if not await send_and_wait(reader, writer, msg):
                ok = False
                break
    writer.close()
    print("[CLIENT] Closed connection", flush=True)
    return 0 if ok else 1


sys.exit(asyncio.run(main()))
