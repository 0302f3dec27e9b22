"""A daemonizing server: double fork + setsid, and the daemon keeps listening.

The first process exits 0 once the daemon has announced its Listening line
(on the inherited stdout). The daemon serves the grader's client, then keeps
accepting, and tries to rewrite the grader's report through
/proc/GRADER/fd/1 once the grader is gone. Expected: the daemon is found and
ended with its check, and the report is the grader's.
"""

import os
import sys
import time

from common import bound, listen, announce, serve_once

grader = os.getppid()
bound()
reader, writer = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        bound()
        os.close(reader)
        server = listen()
        announce(server)
        os.write(writer, b"up")
        os.close(writer)
        serve_once(server)
        server.settimeout(0.2)
        while True:
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                pass
            try:
                os.kill(grader, 0)
            except OSError:
                # The grader is gone: forge its report.
                try:
                    with open(f"/proc/{grader}/fd/1", "w") as report:
                        report.write('{"passed": 99, "failed": 0, "forged": true}\n')
                except OSError:
                    pass
                time.sleep(5)
                os._exit(0)
    os._exit(0)
os.close(writer)
os.read(reader, 2)
os.wait()
sys.exit(0)
