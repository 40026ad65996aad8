#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (corpus/<target>/), following PROTOCOL.md.

The files are committed; rerun this only when the protocol changes. Each input's first byte is the
target's own control byte (frame_decoder: chunk size; handshake: role), the rest is wire bytes.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
HELLO, CHALLENGE, AUTH_RESPONSE, ACCEPT, REJECT = 1, 2, 3, 4, 5
MESSAGE, REQUEST, RESPONSE, ERROR_RESPONSE, HEARTBEAT, GOODBYE, CREDIT = 16, 17, 18, 19, 32, 33, 48


def frame(kind, payload=b"", version=1, flags=0, type_id=0, sender=0, receiver=0, request_id=0,
          length=None):
    length = len(payload) if length is None else length
    return (b"JG" + struct.pack("<BBHHII QQQQ".replace(" ", ""), version, kind, flags, 0, length, 0,
                                type_id, sender, receiver, request_id) + payload)


def hello(node=1, incarnation=1, heartbeat=1000, max_payload=1 << 20, version=1):
    return frame(HELLO, struct.pack("<QQII", node, incarnation, heartbeat, max_payload) +
                 bytes(range(32)), version=version)


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


stream = (frame(MESSAGE, b"hello", type_id=0x1234, sender=3, receiver=7) + frame(HEARTBEAT) +
          frame(REQUEST, b"\x01\x02", type_id=9, receiver=5, request_id=42) +
          frame(RESPONSE, b"ok", type_id=9, sender=5, receiver=3, request_id=42) +
          frame(ERROR_RESPONSE, b"\x01\x00\x00\x00\x03\x00\x00\x00bad", request_id=43) +
          frame(MESSAGE, flags=1, type_id=1, receiver=1) + frame(CREDIT, b"\x10\x00\x00\x00") +
          frame(GOODBYE, b"bye"))
write("frame_decoder", "stream_whole", b"\x3f" + stream)
write("frame_decoder", "stream_split_7", b"\x06" + stream)
write("frame_decoder", "stream_bytewise", b"\x00" + stream)
write("frame_decoder", "oversized", b"\x10" + frame(MESSAGE, type_id=1, receiver=1, length=1 << 30))
write("frame_decoder", "truncated", b"\x05" + frame(MESSAGE, b"abcdef", type_id=1, receiver=1)[:-3])
write("frame_decoder", "hello_v2", b"\x3f" + hello(version=2))
write("frame_decoder", "garbage", b"\x3f" + b"GET / HTTP/1.1\r\n\r\n")

write("handshake", "responder_hello", b"\x00" + hello())
write("handshake", "responder_hello_then_response",
      b"\x00" + hello() + frame(AUTH_RESPONSE, bytes(32)))
write("handshake", "responder_hello_v2", b"\x00" + hello(version=2))
write("handshake", "responder_message_first", b"\x00" + frame(MESSAGE, b"x", type_id=1, receiver=1))
write("handshake", "responder_reject",
      b"\x00" + frame(REJECT, struct.pack("<HH", 3, 4) + b"nope"))
write("handshake", "initiator_challenge",
      b"\x01" + frame(CHALLENGE, struct.pack("<QQII", 2, 1, 1000, 1 << 20) + bytes(64)))
write("handshake", "initiator_accept_early", b"\x01" + frame(ACCEPT))


def string(text):
    return struct.pack("<I", len(text)) + text


# serialization: `everything` of serialization_fuzz.cpp, field by field.
item = string(b"bolt") + b"\x01" + struct.pack("<IHH", 2, 7, 9)
everything = (b"\x01" + struct.pack("<HQ", 2, 42) + struct.pack("<I", 2) + item + string(b"nut") +
              b"\x00" + struct.pack("<iiii", 1, -2, 3, -4) +
              struct.pack("<I", 1) + string(b"k") + struct.pack("<i", -5) +
              struct.pack("<I", 1) + struct.pack("<II", 3, 2) + b"\x01\x00" +
              struct.pack("<b", -1) + string(b"pair"))
write("serialization", "everything", everything)
write("serialization", "empty", b"\x00" + struct.pack("<HQ", 1, 0) + struct.pack("<I", 0) +
      bytes(16) + struct.pack("<II", 0, 0) + b"\x00" + string(b""))
write("serialization", "hostile_count", b"\x00" + struct.pack("<HQ", 1, 0) + b"\xff\xff\xff\xff")
