"""Hostile fixture: leaves System V IPC objects behind (a 1 MiB shared
memory segment and a message queue holding one message, keys argv[1] and
argv[1] + 1), which outlive any process unless the program had an IPC
namespace of its own. Says what it made on stderr, exits 1.

Expected (pid namespace layer): both gone with the check."""
import ctypes
import sys

from common import bound

bound()
key = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
shm = libc.shmget(key, ctypes.c_size_t(1 << 20), IPC_CREAT | 0o666)
queue = libc.msgget(key + 1, IPC_CREAT | 0o666)


class Message(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 32)]


sent = libc.msgsnd(queue, ctypes.byref(Message(1, b"for the next one")), 32, 0)
print(f"shm {shm}, queue {queue}, message sent: {sent == 0}", file=sys.stderr)
sys.exit(1)
