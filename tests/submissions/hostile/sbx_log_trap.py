"""Hostile fixture: a chat server that puts a trap where --log says its
log must be: a FIFO (argv[1] == "fifo": whoever opens it to read blocks
until a writer comes) or a symbolic link to /dev/zero (argv[1] == "zero":
endless bytes). It then runs the correct chat server of the folder it is
started in (week01-python's chat_server.py) with its log elsewhere.

Expected: the grader reads no trap: the chat-log check ends at once,
names lost-message, and the grader's memory stays small."""
import os
import sys

from_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, from_here)
from common import bound  # noqa: E402

bound()
trap, args = sys.argv[1], sys.argv[2:]
if "--log" in args:
    i = args.index("--log")
    path = args[i + 1]
    if trap == "zero":
        os.symlink("/dev/zero", path)
    else:
        os.mkfifo(path)
    args[i + 1] = path + ".real"
os.execvp(sys.executable, [sys.executable, "chat_server.py"] + args)
