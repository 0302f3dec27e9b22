# The lab to grade and extra `netlab grade` options (e.g. --only server).
LAB=week01
NETLAB_ARGS=""
