"""Week 1 one-shot server using socketserver."""
import argparse
import os
import socketserver
import sys


def load_config():
    return {
        "host": os.environ.get("LAB_HOST", "127.0.0.1").strip(),
        "port": int(os.environ.get("LAB_PORT", "5000")),
        "buffer_size": int(os.environ.get("LAB_BUFFER_SIZE", "1024")),
        "timeout": int(os.environ.get("LAB_TIMEOUT", "5")),
        "max_clients": int(os.environ.get("LAB_MAX_CLIENTS", "64")),
    }


def fmt(addr):
    return f"{addr[0]}:{addr[1]}"


def make_reply(data):
    """Returns (log_line_after_prefix, reply)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"Rejected: invalid UTF-8 ({len(data)} bytes)", "ERROR: Invalid UTF-8"
    msg = text.strip()
    shown = msg.encode("unicode_escape").decode("ascii") if any(ord(c) < 32 for c in msg) else msg
    if not msg:
        return f"Received: {shown}", "ERROR: Empty message"
    if len(msg) > 100:
        return f"Received: {shown}", "ERROR: Message too long"
    return f"Received: {shown}", f"ACK: {msg}"


class OneShotHandler(socketserver.BaseRequestHandler):
    def handle(self):
        cfg = self.server.cfg
        peer = fmt(self.client_address)
        print(f"[SERVER] Connection from {peer}", flush=True)
        self.request.settimeout(5)  # the handout says 5 seconds
        try:
            data = self.request.recv(cfg["buffer_size"])
        except TimeoutError:
            print(f"[SERVER] Client {peer} sent nothing within 5s; closing", flush=True)
            return
        if not data:
            print(f"[SERVER] Client {peer} closed without sending", flush=True)
            return
        line, reply = make_reply(data)
        print(f"[SERVER] {line}", flush=True)
        self.request.sendall(reply.encode("utf-8"))
        print(f"[SERVER] Sent: {reply}", flush=True)
        self.server.replied = True


class Server(socketserver.TCPServer):
    allow_reuse_address = True
    replied = False

    def shutdown_request(self, request):
        super().shutdown_request(request)  # closes the client socket
        if self.replied:
            print("[SERVER] Closed connection", flush=True)
            self.replied = False


parser = argparse.ArgumentParser(description="week 1 one-shot server")
parser.add_argument("--forever", action="store_true", help="serve clients until Ctrl+C")
args, _ = parser.parse_known_args()
cfg = load_config()
try:
    srv = Server((cfg["host"], cfg["port"]), OneShotHandler)
except OSError as e:
    msg = "address already in use" if e.errno == 98 else e.strerror
    print(f"[SERVER] Error: cannot listen on {cfg['host']}:{cfg['port']}: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)
srv.cfg = cfg
print(f"[SERVER] Listening on {fmt(srv.server_address)}", flush=True)
try:
    if args.forever:
        srv.serve_forever()
    else:
        srv.handle_request()
except KeyboardInterrupt:
    print("[SERVER] Shutting down", flush=True)
finally:
    srv.server_close()
