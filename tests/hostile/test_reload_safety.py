"""Issue 12, item 6: loss and silence around reloads.

- an empty knowledge folder (a volume not mounted) retires nothing;
- a stop (SIGTERM) during a long reload ends it between files, writes nothing half-done,
  and keeps the last committed build; counted in files parsed, not seconds;
- `kill -9` during `index` leaves no parsing worker behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.build import BuildCancelled, EmptyFolderError
from bot.engine import Engine
from hostile.support import COUNTS, attack

REPO = Path(__file__).resolve().parents[2]
QUESTION = "How many days did the 2024 law give TikTok to divest?"


def _articles(folder: Path, n: int, paragraphs: int = 3) -> None:
    for i in range(n):
        body = "\n\n".join(
            f"Harbour district {i} reported that inspectors reviewed pier {j} on Monday. "
            f"The council said repairs to pier {j} would cost {i + j} thousand dollars. "
            "Residents asked whether the ferry timetable would change."
            for j in range(paragraphs)
        )
        (folder / f"district-{i:04d}.md").write_text(
            f"---\ntitle: District {i} Harbour Report\ndate: 2025-10-01\n---\n{body}\n", encoding="utf-8")


@pytest.mark.parametrize("how", ["emptied", "only-hidden-files", "unmounted-looking-mountpoint"])
def test_empty_folder_retires_nothing(how: str, kb: Path, tmp_path: Path) -> None:
    with attack(f"empty knowledge folder ({how})"):
        engine = Engine(kb, tmp_path / "storybot.db")
        engine.open()
        try:
            for p in kb.iterdir():
                p.unlink()
            if how == "only-hidden-files":
                (kb / ".DS_Store").write_bytes(b"\x00")
            if how == "unmounted-looking-mountpoint":
                (kb / "README").write_text("mount the articles volume here\n")
            with pytest.raises(EmptyFolderError, match="refusing to retire all 1"):
                engine.reload()
            assert engine.ask(QUESTION).answered  # still serving
            engine.close()
            engine = Engine(kb, tmp_path / "storybot.db")  # a restart on the empty folder
            with pytest.raises(EmptyFolderError):
                engine.open()
            assert engine._open_readonly(require_fresh=False)  # the stored articles are all there
            assert engine.ask(QUESTION).answered
        finally:
            engine.close()


def test_a_moderator_may_still_remove_the_last_article(kb: Path, tmp_path: Path) -> None:
    engine = Engine(kb, tmp_path / "storybot.db")
    engine.open()
    try:
        doc = engine.documents()[0].id
        result = engine.remove_article(doc, "mod (1)")
        assert result.ok, result.message
        assert not engine.is_loaded(doc)
    finally:
        engine.close()


def test_stop_during_a_long_reload_ends_it_between_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM's handler calls `engine.request_stop()`: the reload stops after the file in
    hand, writes nothing, and the previous build keeps serving (and is what a restart finds)."""
    import bot.build

    with attack("SIGTERM during a long reload"):
        monkeypatch.setenv("STORYBOT_BUILD_WORKERS", "1")
        kb = tmp_path / "knowledge"
        kb.mkdir()
        _articles(kb, 40, paragraphs=1)
        engine = Engine(kb, tmp_path / "storybot.db")
        engine.open()
        try:
            before = engine.status().documents
            parsed = {"n": 0}
            real = bot.build.document_write

            def counting(loaded):  # noqa: ANN001, ANN202
                parsed["n"] += 1
                if parsed["n"] == 5:
                    engine.request_stop()  # what the SIGTERM handler does
                return real(loaded)

            monkeypatch.setattr(bot.build, "document_write", counting)
            _articles(kb, 300, paragraphs=1)  # 260 new files, 40 changed
            with pytest.raises(BuildCancelled):
                engine.reload(force=True)
            assert parsed["n"] <= 6, f"{parsed['n']} files parsed after the stop"
            assert engine.status().documents == before
            with pytest.raises(BuildCancelled):
                engine.reload()  # stopping: no new reload starts
        finally:
            engine.close()
        again = Engine(kb, tmp_path / "storybot.db")
        assert again._open_readonly(require_fresh=False)
        assert again.status().documents == before  # nothing half-written
        again.close()


def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.add(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_kill_9_during_index_leaves_no_worker(tmp_path: Path) -> None:
    """`kill -9` of `python -m bot index` while its workers parse: the workers (and the
    multiprocessing resource tracker) exit by themselves."""
    with attack("kill -9 during index: orphaned workers"):
        kb = tmp_path / "knowledge"
        kb.mkdir()
        _articles(kb, 400, paragraphs=12)
        env = {**os.environ, "STORYBOT_BUILD_WORKERS": "2", "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "index", "--knowledge", str(kb),
                                 "--db", str(tmp_path / "s.db")], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kids: set[int] = set()
        try:
            deadline = time.monotonic() + 60
            while len(kids) < 3 and proc.poll() is None and time.monotonic() < deadline:
                kids |= _children(proc.pid)
                time.sleep(0.05)
            assert len(kids) >= 2 and proc.poll() is None, "the workers never started"
            time.sleep(0.5)
            kids |= _children(proc.pid)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            COUNTS["faults"] += 1
            deadline = time.monotonic() + 30  # a safety net, not a measured duration
            while any(_alive(k) for k in kids) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = [k for k in kids if _alive(k)]
            assert not left, f"orphaned after kill -9: {left}"
        finally:
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except OSError:
                    pass
