#!/bin/sh
# start the threaded server (the lab machines have python3 on the PATH)
cd "$(dirname "$0")"
python3 server_threaded.py "$@"
