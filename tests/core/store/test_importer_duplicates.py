"""Many records under one duplicate key: the lookup costs the same for the 1,000th as for the
first, and "replace" and the window's question are about the newest of them."""

from __future__ import annotations

from pathlib import Path

from app.core.store.importer import DuplicateDecision, DuplicateQuestion, import_files
from app.core.store.savefile import SaveFile
from tests.fixtures.records import bib_record


def same_key(make_file, name: str, count: int, title: str = "Copy") -> Path:
    records = b"".join(bib_record("ocm1", f"{title} {n}", identifier="OCoLC") for n in range(count))
    return make_file(name, records)


def sqlite_steps(save_file: SaveFile, source: Path) -> int:
    """SQLite virtual-machine steps (in thousands) an import with "keep" takes: a count of
    work done, the same on every machine, where a timing would not be."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    save_file.conn.set_progress_handler(count, 1000)
    try:
        result = import_files(save_file, [source], on_duplicate="keep")
    finally:
        save_file.conn.set_progress_handler(None, 0)
    assert not result.errors
    return steps


def test_keeping_duplicates_of_one_key_is_linear(
    save_file: SaveFile, make_file, tmp_path: Path
) -> None:
    small = sqlite_steps(save_file, same_key(make_file, "small.mrc", 400))
    with SaveFile(tmp_path / "large.sqlite") as other:
        large = sqlite_steps(other, same_key(make_file, "large.mrc", 1600))
        assert other.count() == 1600
    assert save_file.count() == 400
    # Four times the records: four times the work (quadratic lookups made it about 14 times).
    assert large / small < 5, (small, large)


def test_replace_and_the_question_name_the_newest_of_many(save_file: SaveFile, make_file) -> None:
    import_files(save_file, [same_key(make_file, "kept.mrc", 5)], on_duplicate="keep")
    ids = [row.id for row in save_file.rows()]
    assert len(ids) == 5
    newest = max(ids)

    questions: list[DuplicateQuestion] = []

    def ask(question: DuplicateQuestion) -> DuplicateDecision:
        questions.append(question)
        return DuplicateDecision("replace")

    result = import_files(
        save_file, [same_key(make_file, "new.mrc", 1, title="Newer")], on_duplicate=ask
    )
    assert [q.existing.id for q in questions] == [newest]
    assert result.record_ids == [newest] and result.replaced == 1
    assert save_file.get(newest).title == "Newer 0"
    assert save_file.count() == 5
