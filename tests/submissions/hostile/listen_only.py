"""Listens, says so, and takes every connection without reading a byte or
answering (hostile round 37): a server that does nothing else.

Expected: no check that needs a message passes on it. server-escapes and
threaded-escapes, which look for the message in the console lines, passed
on lines that never held it; now each follows from its session check.
"""

from common import bound, listen, announce

bound()
server = listen()
announce(server)
held = []
while True:
    connection, _ = server.accept()
    held.append(connection)
