#!/usr/bin/python3
"""varints.py OUT: writes "VALUE HEX" lines, each VALUE's base-128 varint
encoded here by hand (7 bits at a time, low group first, high bit = more),
for test-protobuf.c to compare with vs_pb_put_varint."""
import random
import sys


def varint(v):
    out = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        if v:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


values = [0, 1, 127, 128, 255, 300, 16383, 16384, 2**31 - 1, 2**32, 2**63 - 1, 2**64 - 1]
values += [(1 << k) - 1 for k in range(1, 65)] + [1 << k for k in range(64)]
rng = random.Random(16)
values += [rng.getrandbits(rng.randint(1, 64)) for _ in range(200)]
with open(sys.argv[1], "w") as f:
    for v in values:
        f.write(f"{v} {varint(v).hex()}\n")
