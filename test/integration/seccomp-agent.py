#!/usr/bin/env python3
# A minimal seccomp agent for test/integration/security.test.ts: listens on
# argv[1], receives the notify fd and the container process state (SCM_RIGHTS,
# as the runtime-spec says), writes the state to argv[2], then answers every
# notification with errno argv[3] (so the test can see the agent decided).
import ctypes
import fcntl
import os
import socket
import struct
import sys

path, out, errno_ = sys.argv[1], sys.argv[2], int(sys.argv[3])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(out + '.ready', 'w').close()
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
with open(out, 'w') as f:
    f.write(msg.decode())
    f.write('\n' + str(len(fds)))
if not fds:
    sys.exit(1)
fd = fds[0]
# struct seccomp_notif: u64 id, u32 pid, u32 flags, seccomp_data (i32 nr, u32 arch, u64 ip, u64 args[6])
NOTIF_SIZE = 80
RESP_FMT = '=QqiI'  # struct seccomp_notif_resp: u64 id, s64 val, s32 error, u32 flags
IOC_RECV = 0xC0000000 | (NOTIF_SIZE << 16) | (ord('!') << 8) | 0
IOC_SEND = 0xC0000000 | (struct.calcsize(RESP_FMT) << 16) | (ord('!') << 8) | 1
while True:
    buf = bytearray(NOTIF_SIZE)
    try:
        fcntl.ioctl(fd, IOC_RECV, buf, True)
    except OSError:
        break  # the filter's users are gone
    nid, pid, _flags, nr = struct.unpack_from('=QIIi', buf)
    with open(out + '.calls', 'a') as f:
        f.write(f'{nr}\n')
    resp = bytearray(struct.pack(RESP_FMT, nid, 0, -errno_, 0))
    try:
        fcntl.ioctl(fd, IOC_SEND, resp, True)
    except OSError:
        pass
