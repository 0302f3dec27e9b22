"""Tiny status page so I can see the server is alive."""
import http.server
import sys
import threading

STATS = {"messages": 0}


class Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"messages: {STATS['messages']}\n".encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)


def _serve():
    # Port 0: any free port (8000 was taken on my laptop).
    page = http.server.HTTPServer(("", 0), Status)
    print(f"status page on port {page.server_address[1]}", file=sys.stderr, flush=True)
    page.serve_forever()


threading.Thread(target=_serve).start()
