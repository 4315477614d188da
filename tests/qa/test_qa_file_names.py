"""Article files named from titles ("Trump call.md") load; control characters still do not."""

from __future__ import annotations

from pathlib import Path

from bot.engine import Engine
from bot.ingest.files import scan_folder

BODY = "{title}\n\nThe {animal} of the north coast were counted in {year} by the survey team.\n"


def test_names_with_spaces_load_and_answer(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "Otter count é.txt").write_text(BODY.format(title="Otter count", animal="otters", year=2019), encoding="utf-8")
    (folder / "seal count.md").write_text(BODY.format(title="Seal count", animal="seals", year=2021), encoding="utf-8")
    (folder / "tab\tname.txt").write_text(BODY.format(title="Tabs", animal="gulls", year=2001), encoding="utf-8")
    (folder / "trailing .txt").write_text(BODY.format(title="Trail", animal="terns", year=2002), encoding="utf-8")
    entries, failures = scan_folder(folder)
    assert sorted(e.doc_id for e in entries) == ["Otter count é", "seal count"]
    assert len(failures) == 2 and all("not a usable id" in f.reason for f in failures)
    engine = Engine(folder, tmp_path / "s.db")
    try:
        engine.open()
        answer = engine.ask("When were the otters counted?")
        assert answer.answered and answer.quotes[0].citation.document == "Otter count é"
        assert engine.summary("seal count").quotes
    finally:
        engine.close()
