#!/usr/bin/env python3
"""Sets sysctls in many network namespaces from one process.

`ip netns exec NS sysctl -w KEY=VALUE` costs two program starts per
namespace; a 1000-pod lab would spend seconds on it. This helper reads
[{"netns": ..., "key": ..., "value": ...}, ...] as JSON on stdin, enters each
namespace (setns) and writes /proc/sys there: net.* sysctls belong to the
network namespace of the process that opens them.

Keys use sysctl's syntax: dots separate, a slash stands for a dot inside a
name (net.ipv6.conf.flannel/1.accept_ra). On the first failure it prints
`error: INDEX: reason` and exits 1, so netlab can name the operation.
"""
import ctypes
import json
import os
import sys

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def proc_path(key):
    return "/proc/sys/" + "/".join(part.replace("/", ".") for part in key.split("."))


def main():
    settings = json.load(sys.stdin)
    for index, s in enumerate(settings):
        try:
            enter(f"/run/netns/{s['netns']}")
            with open(proc_path(s["key"]), "w", encoding="ascii") as f:
                f.write(f"{s['value']}\n")
        except OSError as e:
            print(f"error: {index}: {e.strerror or e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
