"""The worker layer under real faults: real processes, real signals, /proc as the witness.

Each test starts ``codereason tag -j 2`` or ``codereason grade -j 2`` as a child in
its own session (its own process group, like a job in a terminal), signals it
while its workers run, and then looks in /proc for what is left: no worker may
outlive its parent, a second Ctrl-C may not hang the run or hide the message.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from codereason.workers import die_with_parent, remove_stale_part_folders

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")

# A response the tagger labels as code; long enough that a run lasts a few seconds.
CODE_RESPONSE = "Let me compute it.\n```python\nx = sum(range(10))\nprint(x)\n```\nSo the answer is \\boxed{45}.\n" * 4


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, process group) of ``pid`` from /proc, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped is dead: it runs nothing and holds no memory)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _processes(where) -> list[int]:
    """Live processes whose (ppid, process group) satisfy ``where``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] != "Z" and where(stat[1], stat[2]):
            found.append(int(entry.name))
    return found


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    """``python -m codereason ARGS`` in its own session (process group = its pid)."""
    env = {**os.environ, "CODEREASON_CACHE": str(cwd / "cache")}
    return subprocess.Popen([sys.executable, "-m", "codereason", *args], cwd=cwd, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_workers(proc: subprocess.Popen, n: int = 2, limit_s: float = 120) -> list[int]:
    """The pids of the first ``n`` children of ``proc`` once they run (fails if it ends first)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        children = _processes(lambda ppid, group: ppid == proc.pid)
        if len(children) >= n:
            return children
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"no {n} workers after {limit_s} s")


def _wait_until_gone(pids: list[int], limit_s: float = 5.0) -> list[int]:
    """Those of ``pids`` still alive after ``limit_s`` seconds."""
    deadline = time.monotonic() + limit_s
    while (left := [pid for pid in pids if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _write_rollouts(path: Path, n: int, response) -> Path:
    with open(path, "w") as handle:
        for i in range(n):
            handle.write(json.dumps({"problem_id": str(i), "sample_idx": 0, "gold": str(i), "response": response(i)}) + "\n")
    return path


@pytest.fixture(scope="module")
def tag_input(tmp_path_factory) -> Path:
    """~16 MB of JSONL: `tag -j 2` runs for a few seconds, in several pieces."""
    return _write_rollouts(tmp_path_factory.mktemp("tag") / "rollouts.jsonl", 40_000, lambda i: CODE_RESPONSE)


@pytest.fixture(scope="module")
def grade_input(tmp_path_factory) -> Path:
    """6,000 boxed fractions, a third wrong, that the fast path cannot settle: `grade -j 2` sends each to the
    workers (math-verify) and runs for several seconds."""
    return _write_rollouts(tmp_path_factory.mktemp("grade") / "rollouts.jsonl", 6_000,
                           lambda i: f"So \\boxed{{\\frac{{{2 * i if i % 3 else 2 * i + 2}}}{{2}}}}.")


def _command(kind: str, source: Path, out: Path) -> list[str]:
    if kind == "tag":
        return ["tag", str(source), "-j", "2", "-o", str(out)]
    return ["grade", str(source), "-j", "2", "--no-cache", "-o", str(out)]


# ------------------------------------------------------------ the parent dies

@pytest.fixture(scope="module")
def stuck_grade_input(tmp_path_factory) -> Path:
    """Answers sympy never finishes checking: each grading worker is stuck in one (as before 2026-12-02,
    when such workers, never reading their pipe again, ran on for minutes after their parent died)."""
    return _write_rollouts(tmp_path_factory.mktemp("stuck") / "rollouts.jsonl", 50,
                           lambda i: "The answer is \\boxed{9^{9^{9^{9^9}}}}.")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("kind", ["tag", "grade"])
def test_workers_do_not_outlive_a_killed_parent(kind, signum, tag_input, stuck_grade_input, tmp_path) -> None:
    command = _command(kind, tag_input if kind == "tag" else stuck_grade_input, tmp_path / "out.jsonl")
    proc = _start(command + ([] if kind == "tag" else ["--timeout", "300"]), tmp_path)
    _wait_for_workers(proc)
    time.sleep(1.0)  # the workers are busy now
    workers = _processes(lambda ppid, group: ppid == proc.pid)
    os.kill(proc.pid, signum)  # the parent alone, as `kill PID` or the OOM killer does
    proc.communicate(timeout=30)
    assert _wait_until_gone(workers) == []
    assert _processes(lambda ppid, group: group == proc.pid) == []  # nothing else of the run's group either


@pytest.mark.slow
def test_a_killed_tag_run_leaves_a_part_folder_that_the_next_run_removes(tag_input, tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    proc = _start(_command("tag", tag_input, out), tmp_path)
    _wait_for_workers(proc)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.jsonl.parts-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert list(tmp_path.glob(".out.jsonl.parts-*"))  # SIGKILL leaves no chance to clean up
    small = _write_rollouts(tmp_path / "small.jsonl", 200, lambda i: CODE_RESPONSE)
    rerun = _start(["tag", str(small), "-j", "2", "-o", str(out)], tmp_path)
    _, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr
    assert list(tmp_path.glob(".out.jsonl.parts-*")) == []
    assert len(out.read_text().splitlines()) == 200


def test_stale_part_folders_are_told_from_those_of_a_running_run(tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out.jsonl.parts-{dead.stdout.strip()}-abc"  # its run has ended
    old_style = tmp_path / ".out.jsonl.parts-x1y2z3"  # from before the pid was in the name
    running = tmp_path / f".out.jsonl.parts-{os.getpid()}-def"  # this process is running
    other = tmp_path / ".other.jsonl.parts-1-ghi"  # another output's
    for folder in (stale, old_style, running, other):
        folder.mkdir()
    assert sorted(remove_stale_part_folders(out)) == sorted([stale, old_style])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, other.name])


def test_the_parent_watch_ends_a_worker_where_the_kernel_does_not(tmp_path) -> None:
    """The fallback of platforms without PR_SET_PDEATHSIG, run here with prctl left out."""
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from codereason.workers import die_with_parent
        parent = os.getpid()
        child = os.fork()
        if child == 0:
            die_with_parent(parent, use_prctl=False)
            time.sleep(600)
            os._exit(0)
        print(child, flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    child = int(proc.stdout.readline())
    assert _alive(child)
    proc.kill()
    proc.wait()
    assert _wait_until_gone([child]) == []


def test_a_worker_whose_parent_is_already_gone_exits_at_once() -> None:
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        die_with_parent(os.getppid() + 10**6)  # not its parent: as if the parent died before the call
        os._exit(0)  # not reached
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 1


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["tag", "grade"])
def test_sigterm_stops_a_run_as_ctrl_c_does_and_says_so(kind, tag_input, grade_input, tmp_path) -> None:
    """`kill PID` of the main process: workers stopped, part folder and temporary file removed, the complete
    records kept and counted, exit code 143."""
    out = tmp_path / "out.jsonl"
    proc = _start(_command(kind, tag_input if kind == "tag" else grade_input, out), tmp_path)
    workers = _wait_for_workers(proc)
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in tmp_path.glob(".out.jsonl.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGTERM)  # the parent alone
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143, stderr
    assert "stopped by SIGTERM after " in stderr and "Traceback" not in stderr, stderr
    written = int(stderr.split("stopped by SIGTERM after ")[1].split()[0])
    assert written > 0 and len(out.read_text().splitlines()) == written
    assert _wait_until_gone(workers) == []
    assert list(tmp_path.glob(".out.jsonl.parts-*")) == [] and list(tmp_path.glob(".out.jsonl.tmp-*")) == []


def test_sigterm_of_a_command_without_an_output_writer_exits_143() -> None:
    """Where no row writer reports (click ends the KeyboardInterrupt with "Aborted!" and exit code 130), the
    CLI's SIGTERM still ends the process with 128 + SIGTERM, as the default action did."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from codereason.cli import app, main

        @app.command("wait-here")
        def wait_here() -> None:
            print("waiting", flush=True)
            time.sleep(60)

        sys.argv = ["codereason", "wait-here"]
        main()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "waiting\n"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr, stderr


# ------------------------------------------------------------ two Ctrl-C

@pytest.mark.slow
@pytest.mark.parametrize("gap_s", [0.05, 0.2, 0.5])
@pytest.mark.parametrize("kind", ["tag", "grade"])
def test_a_second_ctrl_c_neither_hangs_nor_hides_the_message(kind, gap_s, tag_input, grade_input, tmp_path) -> None:
    source = tag_input if kind == "tag" else grade_input
    out = tmp_path / "out.jsonl"
    proc = _start(_command(kind, source, out), tmp_path)
    workers = _wait_for_workers(proc)
    deadline = time.monotonic() + 60
    # the output is written to a temporary file beside it (renamed at the end): wait until it holds rows
    while not any(p.stat().st_size for p in tmp_path.glob(".out.jsonl.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    for _ in range(2):  # the terminal signals the whole group, workers included
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:  # already gone after the first
            break
        time.sleep(gap_s)
    _, stderr = proc.communicate(timeout=30)  # raises if it hangs
    assert proc.returncode == 130, stderr
    assert "interrupted after" in stderr and "Traceback" not in stderr, stderr
    written = int(stderr.split("interrupted after ")[1].split()[0])
    assert len(out.read_text().splitlines()) == written  # what the message says is what the file holds
    assert _wait_until_gone(workers) == []
    assert list(tmp_path.glob(".out.jsonl.parts-*")) == []
