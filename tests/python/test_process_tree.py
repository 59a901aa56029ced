"""The `process` source with `process_tree = true` against a real multi-worker server: uvicorn with two
worker processes serving tests/python/asgi_app.py, the leak (when set) in the workers only.

- leaking workers, the tree measured from the master's pid: `once` finds the leak (exit 1);
- the same server, the master's pid alone: the leak is invisible there (not a leak);
- a clean server, the tree: not a leak;
- a worker killed during a soak (uvicorn starts another): counted as churn, never as a restart.

Run by scripts/test with LEAKSOAK_BIN pointing at the built binary. Only 127.0.0.1 traffic.
"""

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

HERE = pathlib.Path(__file__).resolve().parent
BINARY = os.environ.get("LEAKSOAK_BIN", str(HERE.parents[1] / "target/debug/leaksoak"))
LEAK_BYTES_PER_REQUEST = 16384
# A cycle that measured the target and found no leak. `error` or `insufficient` would mean the source or the
# requests failed, which would pass a bare "not a leak" check without proving anything.
JUDGED_NOT_LEAK = ("stable", "noisy")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def children(pid):
    try:
        return [int(c) for c in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Server:
    """uvicorn --workers 2 in its own process group, killed with it."""

    def __init__(self, leak):
        self.port = free_port()
        env = dict(os.environ, LEAK_BYTES_PER_REQUEST=str(leak))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "asgi_app:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "2", "--log-level", "warning"],
            cwd=HERE, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(f"http://127.0.0.1:{self.port}/health") == "ok" and len(self.workers()) == 2:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("uvicorn did not start two workers within 30 s")

    def workers(self):
        """The master's children that serve requests (uvicorn's spawned workers; not its resource tracker)."""
        return [c for c in children(self.proc.pid) if "spawn_main" in cmdline(c)]

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)


def cmdline(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.fixture
def server(request):
    s = Server(request.param)
    yield s
    s.stop()


def config(tmp_path, server, tree, listen="127.0.0.1:0"):
    path = tmp_path / "leaksoak.toml"
    path.write_text(f"""
[server]
listen = "{listen}"
[cycle]
warmup_batches = 2
measure_batches = 10
batch_size = 50
pause = "1s"
max_settle_batches = 4
[memory]
source = "process"
pid = {server.proc.pid}
process_tree = {"true" if tree else "false"}
samples_per_batch = 3
settle = "200ms"
[fake_llm]
enabled = false
[[scenario]]
name = "chat"
url = "http://127.0.0.1:{server.port}/v1"
stream = false
concurrency = 4
timeout = "10s"
""")
    return path


def once(tmp_path, server, tree):
    out = tmp_path / "once.json"
    run = subprocess.run([BINARY, "once", "--config", str(config(tmp_path, server, tree)), "--json", str(out)],
                         capture_output=True, text=True, timeout=300)
    recorded = json.loads(out.read_text())
    print(f"tree={tree}: verdict {recorded[0]['cycles'][-1]['verdict']}, exit {run.returncode}")
    return run, recorded[0]["cycles"][-1]["verdict"]


@pytest.mark.parametrize("server", [LEAK_BYTES_PER_REQUEST], indirect=True)
def test_a_leak_in_the_workers_is_seen_by_the_tree(tmp_path, server):
    run, verdict = once(tmp_path, server, tree=True)
    assert (run.returncode, verdict) == (1, "leak"), run.stdout + run.stderr


@pytest.mark.parametrize("server", [LEAK_BYTES_PER_REQUEST], indirect=True)
def test_the_masters_pid_alone_does_not_see_the_workers_leak(tmp_path, server):
    run, verdict = once(tmp_path, server, tree=False)
    assert verdict in JUDGED_NOT_LEAK and run.returncode != 1, run.stdout + run.stderr


@pytest.mark.parametrize("server", [0], indirect=True)
def test_a_clean_multi_worker_server_is_not_a_leak(tmp_path, server):
    run, verdict = once(tmp_path, server, tree=True)
    assert verdict in JUDGED_NOT_LEAK and run.returncode != 1, run.stdout + run.stderr


def metric(text, name):
    m = re.search(rf'^{name}{{scenario="chat"}} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


@pytest.mark.parametrize("server", [0], indirect=True)
def test_a_recycled_worker_is_churn_not_a_restart(tmp_path, server):
    port = free_port()
    daemon = subprocess.Popen([BINARY, "run", "--config", str(config(tmp_path, server, True, f"127.0.0.1:{port}"))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and metric(get_or_empty(base + "/metrics"), "leaksoak_memory_source_up") != 1:
            time.sleep(0.5)
        victim = server.workers()[0]
        os.kill(victim, signal.SIGKILL)
        churn = None
        while time.monotonic() < deadline:
            text = get_or_empty(base + "/metrics")
            churn = metric(text, "leaksoak_target_churn_total")
            if churn and len(server.workers()) == 2:
                break
            time.sleep(0.5)
        assert churn and churn >= 1, f"the killed worker {victim} was not counted as churn"
        assert victim not in server.workers(), "uvicorn replaced the worker"
        assert metric(text, "leaksoak_target_restarts_total") == 0, "worker churn is not a restart"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)


def get_or_empty(url):
    try:
        return get(url)
    except OSError:
        return ""
