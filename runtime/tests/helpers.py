"""Loads the helper scripts (their file names have dashes) as modules for the tests."""
import importlib.util
import os
import subprocess
import sys

RUNTIME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The helpers import their shared module (netlab_ns) from beside them, as when netlab runs them.
sys.path.insert(0, RUNTIME)


def load(script):
    """runtime/SCRIPT.py as a module, without running its main()."""
    spec = importlib.util.spec_from_file_location(script.replace("-", "_"), os.path.join(RUNTIME, f"{script}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


IS_ROOT = os.geteuid() == 0


class TestNamespace:
    """A namespace of the tests' own, named like a netlab lab's so `netlab clean` would find a leftover."""

    def __init__(self, name):
        self.name = f"netlab.pytest-{os.getpid()}.{name}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)

    def ip(self, *args):
        subprocess.run(["ip", "-n", self.name, *args], check=True)

    def remove(self):
        subprocess.run(["ip", "netns", "delete", self.name], check=False)
