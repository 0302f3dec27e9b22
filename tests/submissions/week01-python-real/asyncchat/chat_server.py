# Mini chat lab - helpdesk server with asyncio
# (we saw asyncio in the Python course; readline() does the line splitting for me)
import argparse
import asyncio
import datetime
import os
import signal

HOST = os.environ.get("LAB_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAB_PORT", "5000"))

parser = argparse.ArgumentParser()
parser.add_argument("--log", default=None)
parser.add_argument("--idle-timeout", type=int, default=120)
args = parser.parse_args()


def hms():
    return datetime.datetime.now().strftime("%H:%M:%S")


def write_log(peer, msg):
    if args.log:
        stamp = datetime.datetime.now().astimezone().isoformat()
        with open(args.log, "a", encoding="utf-8") as f:
            f.write(f"{stamp} {peer} {msg}\n")


async def handle_client(reader, writer):
    host, port = writer.get_extra_info("peername")[:2]
    peer = f"{host}:{port}"
    print(f"[SERVER] Connection from {peer}", flush=True)
    while True:
        try:
            raw = await asyncio.wait_for(reader.readline(), timeout=args.idle_timeout)
        except asyncio.TimeoutError:
            print(f"[SERVER] @{hms()} {peer} idle for {args.idle_timeout}s; closing", flush=True)
            break
        if not raw:
            break
        msg = raw.decode("utf-8").rstrip("\r\n")
        t = hms()
        print(f"[SERVER] @{t} {peer} Client: {msg}", flush=True)
        write_log(peer, msg)
        writer.write(f"[ACK @{t}] {msg}\n".encode("utf-8"))
        await writer.drain()
    writer.close()
    print(f"[SERVER] @{hms()} {peer} Closed connection", flush=True)


async def main():
    try:
        server = await asyncio.start_server(handle_client, HOST, PORT)
    except OSError as e:
        print(f"[SERVER] Error: cannot listen on {HOST}:{PORT}: address already in use", flush=True,
              file=__import__("sys").stderr)
        raise SystemExit(1)
    port = server.sockets[0].getsockname()[1]
    print(f"[SERVER] Listening on {HOST}:{port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    print("[SERVER] Shutting down", flush=True)


asyncio.run(main())
