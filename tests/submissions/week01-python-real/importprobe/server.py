"""One-shot TCP server (the Week 1 MVP): one client, one message, one reply.

    [SERVER] Listening on 127.0.0.1:5000
    [SERVER] Connection from 127.0.0.1:54321
    [SERVER] Received: Hello Server
    [SERVER] Sent: ACK: Hello Server
    [SERVER] Closed connection

The session (handle_session) is shared with server_threaded.py.
"""

import socket
import sys

from config import (BUFFER_SIZE, HOST, PORT, TIMEOUT, address, complain, describe, escape,
                    ignore_signals, interrupt_on_sigterm, open_listener, peer_text, say,
                    timeout_text)

MAX_CHARS = 100


def answer(message):
    """The reply to a decoded message without surrounding whitespace."""
    if not message:
        return "ERROR: Empty message"
    if len(message) > MAX_CHARS:  # characters, not bytes
        return "ERROR: Message too long"
    return f"ACK: {message}"


def handle_session(conn, tag, who):
    """Receive one message, check it, reply, close.

    tag goes after "[SERVER] " on each line ("" or "127.0.0.1:P "); who names
    the client in the special-case lines.
    """
    try:
        # A client that connects and says nothing must not hold us forever.
        conn.settimeout(TIMEOUT)
        try:
            data = conn.recv(BUFFER_SIZE)
        except socket.timeout:
            say(f"[SERVER] {who} sent nothing within {timeout_text(TIMEOUT)}; closing")
            return
        except OSError as error:
            complain(f"[SERVER] {tag}Error: receive failed: {describe(error)}")
            return
        # recv() returning b"" means the client closed: there is no message.
        if not data:
            say(f"[SERVER] {who} closed without sending")
            return
        # Bytes are not text: decoding can fail, and must not crash us.
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            say(f"[SERVER] {tag}Rejected: invalid UTF-8 ({len(data)} bytes)")
            reply = "ERROR: Invalid UTF-8"
        else:
            message = text.strip()
            say(f"[SERVER] {tag}Received: {escape(message)}")
            reply = answer(message)
        try:
            conn.sendall(reply.encode("utf-8"))  # sendall, not send: all of it
        except OSError as error:
            complain(f"[SERVER] {tag}Error: send failed: {describe(error)}")
            return
        say(f"[SERVER] {tag}Sent: {escape(reply)}")
    finally:
        # close(): our FIN tells the client the reply is complete.
        conn.close()
        say(f"[SERVER] {tag}Closed connection")


def main():
    interrupt_on_sigterm()
    try:
        server = open_listener(HOST, PORT)
    except OSError as error:
        complain(f"[SERVER] Error: cannot listen on {address(HOST, PORT)}: {describe(error)}")
        return 1
    try:
        say(f"[SERVER] Listening on {peer_text(server.getsockname())}")
        # 5. accept(): wait for one client; it gets a socket of its own.
        conn, addr = server.accept()
    except KeyboardInterrupt:
        ignore_signals()
        say("[SERVER] Shutting down")
        return 0
    finally:
        server.close()  # one client only: stop listening now
    ignore_signals()  # the session is short and bounded: let it finish
    say(f"[SERVER] Connection from {peer_text(addr)}")
    handle_session(conn, "", f"Client {peer_text(addr)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
