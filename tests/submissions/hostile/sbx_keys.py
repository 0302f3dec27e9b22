"""Hostile fixture: reaches past the sandbox's namespaces. It stores a key
in its uid's keyring, readable by all (a classmate, or a later program
of the same uid, finds it in /proc/keys), and makes network namespaces of
its own (kernel memory no cgroup counts). Says what happened on stderr,
then exits 1."""
import ctypes
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
# add_key(2), keyctl(2): numbers per architecture.
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(os.uname().machine, (248, 250))
KEY_SPEC_USER_KEYRING = -4
KEYCTL_SETPERM = 5


def say(what, ok):
    err = ctypes.get_errno()
    print(f"{what}: {'done' if ok else 'refused'}" + ("" if ok else f" ({os.strerror(err)})"), file=sys.stderr, flush=True)


key = libc.syscall(ADD_KEY, b"user", b"netlab-hostile", b"a classmate's server", 20, KEY_SPEC_USER_KEYRING)
if key >= 0:
    # possessor, user, group and other: view and read.
    libc.syscall(KEYCTL, KEYCTL_SETPERM, key, 0x3F030303)
say("keys", key >= 0)

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
made = 0
for _ in range(20):
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        break
    made += 1
ctypes.set_errno(1)
say(f"namespaces ({made} made)", made > 0)
sys.exit(1)
