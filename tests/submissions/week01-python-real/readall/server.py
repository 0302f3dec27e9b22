"""Week 1 server (asyncio version - I wanted to try async/await).

Reads the client's message, replies ACK, closes.
"""
import asyncio
import os
import sys

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))
TIMEOUT = int(os.environ.get("LAB_TIMEOUT", "5"))

finished = None


def log(line):
    print(line, flush=True)


async def handle(reader, writer):
    host, port = writer.get_extra_info("peername")[:2]
    log(f"[SERVER] Got a connection from {host}:{port}")
    try:
        # read the whole message
        data = await asyncio.wait_for(reader.read(), timeout=TIMEOUT)
    except asyncio.TimeoutError:
        log(f"[SERVER] Client {host}:{port} sent nothing within {TIMEOUT}s; closing")
        writer.close()
        log("[SERVER] Closed connection")
        finished.set()
        return
    if not data:
        log(f"[SERVER] Client {host}:{port} closed without sending")
    else:
        try:
            msg = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            reply = "ERROR: Invalid UTF-8"
            log(f"[SERVER] Rejected: invalid UTF-8 ({len(data)} bytes)")
        else:
            log(f"[SERVER] Received: {msg}")
            if not msg:
                reply = "ERROR: Empty message"
            elif len(msg) > 100:
                reply = "ERROR: Message too long"
            else:
                reply = f"ACK: {msg}"
        writer.write(reply.encode())
        await writer.drain()
        log(f"[SERVER] Sent: {reply}")
    writer.close()
    await writer.wait_closed()
    log("[SERVER] Closed connection")
    finished.set()


async def main():
    global finished
    finished = asyncio.Event()
    try:
        server = await asyncio.start_server(handle, HOST, PORT)
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: {e.strerror.lower()}", file=sys.stderr)
        return 1
    h, p = server.sockets[0].getsockname()[:2]
    log(f"[SERVER] Listening on {h}:{p}")
    await finished.wait()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
