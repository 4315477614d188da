"""Questions keep being answered, consistently, while reloads run.

One article (`marker.md`) is rewritten before every reload: each of its
sentences carries the version number, so an answer that mixed two versions,
quoted a passage that no version contains, or came from a half-built index
shows up. Meanwhile another article comes and goes, and the seed article must
answer every single time.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from bot.engine import Engine
from conftest import SEED_ID
from kb.kb_helpers import article, write_file

MARKER_QUESTION = "What is the codeword for this edition of the bulletin?"
SEED_QUESTION = "Where will Xi and Trump meet?"


def marker_sentences(n: int) -> list[str]:
    return [
        f"The codeword for this edition of the bulletin is zebra{n}.",
        f"Edition zebra{n} of the bulletin replaces every earlier codeword.",
        f"Readers of the bulletin should quote codeword zebra{n} when they write in.",
    ]


def marker_article(n: int) -> bytes:
    return article(f"Bulletin edition {n}", "2025-10-01", " ".join(marker_sentences(n)))


@pytest.mark.slow
def test_questions_during_reloads_never_fail_or_mix_versions(knowledge_dir: Path, tmp_path: Path) -> None:
    write_file(knowledge_dir / "marker.md", marker_article(0))
    engine = Engine(knowledge_dir, tmp_path / "c.db")
    engine.open()
    seed_text = (knowledge_dir / f"{SEED_ID}.md").read_text(encoding="utf-8")
    written = {0}  # versions that have been on disk (an answer may lag, never invent)
    stop = threading.Event()
    failures: list[str] = []
    counts = {"asked": 0, "marker": 0}
    lock = threading.Lock()

    def check_marker(answer) -> None:
        if not answer.answered or not answer.quotes:
            failures.append(f"marker question not answered: {answer.message}")
            return
        versions = set()
        for q in answer.quotes + answer.more:
            if q.citation.document != "marker":
                continue
            found = re.findall(r"zebra(\d+)", q.text)
            if len(found) != 1:
                failures.append(f"quote without one marker: {q.text!r}")
                continue
            n = int(found[0])
            versions.add(n)
            if n not in written:
                failures.append(f"version {n} was never written")
            elif q.text not in marker_sentences(n):
                failures.append(f"quote {q.text!r} is not in version {n}")
            if q.citation.title != f"Bulletin edition {n}":
                failures.append(f"title {q.citation.title!r} does not match version {n}")
        if len(versions) > 1:
            failures.append(f"one answer mixed versions {sorted(versions)}")

    def asker() -> None:
        while not stop.is_set():
            try:
                a = engine.ask(MARKER_QUESTION)
                check_marker(a)
                b = engine.ask(SEED_QUESTION)
                if not b.answered or b.quotes[0].citation.document != SEED_ID or b.quotes[0].text not in seed_text:
                    failures.append(f"seed answer wrong: {b}")
                engine.who("ByteDance")
                with lock:
                    counts["asked"] += 3
                    counts["marker"] += 1
            except Exception as exc:  # noqa: BLE001 - every failure counts
                failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=asker, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    reloads = 0
    n = 0
    try:
        # Counted, not timed: enough reloads, and enough questions answered across them.
        while reloads < 20 or counts["marker"] < 20:
            n += 1
            written.add(n)
            write_file(knowledge_dir / "marker.md", marker_article(n))
            extra = knowledge_dir / "extra.md"
            if n % 2:
                write_file(extra, article(f"Extra {n}", "2025-10-02", f"An extra note number {n} about ByteDance."))
            elif extra.exists():
                extra.unlink()
            if n % 5 == 0:
                write_file(knowledge_dir / "bad.md", b"\x00\x01\x02 garbage")
            report = engine.reload()
            assert "marker" in report.changed
            reloads += 1
            if reloads > 200:
                break
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    try:
        assert not failures, failures[:5]
        assert reloads >= 20 and counts["marker"] >= 20, (reloads, counts)
        # After the last reload the newest version answers.
        final = engine.ask(MARKER_QUESTION)
        assert f"zebra{n}" in final.quotes[0].text
    finally:
        engine.close()


@pytest.mark.slow
def test_questions_during_moderator_operations(knowledge_dir: Path, tmp_path: Path) -> None:
    """The same guarantees when the changes come through add/replace/remove (and the journal)."""
    engine = Engine(knowledge_dir, tmp_path / "m.db")
    engine.open()
    assert engine.add_article("marker.md", marker_article(0), "mod").ok
    written = {0}
    stop = threading.Event()
    failures: list[str] = []
    asked = [0]

    def asker() -> None:
        while not stop.is_set():
            try:
                a = engine.ask(MARKER_QUESTION)
                if not a.answered:
                    failures.append("marker question not answered")
                marks = {int(m) for q in a.quotes if q.citation.document == "marker"
                         for m in re.findall(r"zebra(\d+)", q.text)}
                if len(marks) != 1 or not marks <= written:
                    failures.append(f"versions {marks} in one answer")
                if not engine.ask(SEED_QUESTION).answered:
                    failures.append("seed question not answered")
                asked[0] += 1
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=asker, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for n in range(1, 16):
            written.add(n)
            r = engine.add_article("marker.md", marker_article(n), f"mod{n % 3}", replace=True)
            assert r.ok and r.action == "replace", r.message
            if n % 2:
                assert engine.add_article(f"note{n}.txt", f"Note {n}\n\nA note about ferries number {n}.\n".encode(), "mod").ok
            else:
                assert engine.remove_article(f"note{n - 1}", "mod").ok
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    try:
        assert not failures, failures[:5]
        assert asked[0] > 0
        assert len(engine.retired_articles()) == 15 + 7  # 15 old markers, 7 notes: all kept
        assert "zebra15" in engine.ask(MARKER_QUESTION).quotes[0].text
        assert len(engine.journal.recent_audit(100)) == 1 + 15 + 15
    finally:
        engine.close()
