import re
_EDGES = re.compile(r"^\s+|\s+$")

def trim(text):
    return _EDGES.sub("", text)

def reply_for(data):
    """(console line tail, reply)"""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "ERROR: Invalid UTF-8"
    msg = " ".join(text.split())
    if not msg:
        return msg, "ERROR: Empty message"
    if len(msg) > 100:
        return msg, "ERROR: Message too long"
    return msg, "ACK: " + msg
