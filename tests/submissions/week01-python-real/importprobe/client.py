"""TCP client: send one message (default "Hello Server"), print the reply.

    python3 client.py [MESSAGE]
"""

import socket
import sys

from config import (BUFFER_SIZE, HOST, PORT, TIMEOUT, address, complain, describe, escape,
                    peer_text, say)


def main(argv):
    if len(argv) > 1:
        complain("[CLIENT] Error: expected at most one MESSAGE (quote a message with spaces)")
        complain("usage: python3 client.py [MESSAGE]")
        return 2
    message = argv[0] if argv else "Hello Server"
    if message == "":
        complain("[CLIENT] Error: the message is empty; nothing sent")
        complain("usage: python3 client.py [MESSAGE]")
        return 2

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
        say(f"[CLIENT] Sending: {escape(message)}")
        try:
            sock.sendall(message.encode("utf-8"))
            # The timeout set by create_connection also bounds this recv().
            reply = sock.recv(BUFFER_SIZE)
        except socket.timeout:
            complain("[CLIENT] Server did not respond in time")
            return 1
        except ConnectionResetError:
            complain("[CLIENT] Error: the server closed the connection without replying (connection reset)")
            return 1
        except OSError as error:
            complain(f"[CLIENT] Error: {describe(error)}")
            return 1
        # b"" means the server closed: that is not a reply.
        if not reply:
            complain("[CLIENT] Error: the server closed the connection without replying")
            return 1
        say(f"[CLIENT] Received: {escape(reply.decode('utf-8', errors='replace'))}")
    say("[CLIENT] Closed connection")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
