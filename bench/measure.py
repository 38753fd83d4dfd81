#!/usr/bin/env python3
"""Runs a command and reports its wall time and the peak RSS of its process tree.

RUSAGE_CHILDREN's ru_maxrss is the largest resident set of any descendant
that was waited for: for `node bin/netlab.js up`, netlab's own process.
Output: one JSON line {"seconds", "code", "maxrssKB", "stderr", "tail", "profile"}: tail is the last lines
of stdout (a test's verdict), profile the lines of stderr NETLAB_PROFILE=1 makes `up` print (one per wave).
"""
import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds,
    "code": done.returncode,
    "maxrssKB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "stderr": done.stderr.decode("utf-8", "replace")[-800:],
    "tail": done.stdout.decode("utf-8", "replace").strip().split("\n")[-12:],
    "profile": [line for line in done.stderr.decode("utf-8", "replace").split("\n") if line.startswith("profile ")],
}))
