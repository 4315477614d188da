"""Whether two StoryBot databases hold the same rows, table by table.

    python -m bench.db_identity A.sqlite B.sqlite

For a change to the build that must not change what it writes: build the same
folder with the old code and the new, then compare. Every table is read in
rowid order, all columns, except what differs between any two builds (wall-clock
stamps, the store's random id, the `builds` record with its timings). Exits 1 on
the first difference per table, with where it is.
"""

from __future__ import annotations

import sqlite3
import sys

# Columns that record when or how fast a build ran, not what it wrote.
VOLATILE = {"documents": {"loaded_at"}}
SKIP_TABLES = {"builds", "audit", "sqlite_sequence", "sqlite_stat1"}
VOLATILE_META = {"built_at", "store_uid"}


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _rows(conn: sqlite3.Connection, table: str, columns: list[str]):
    cols = ", ".join(f'"{c}"' for c in columns)
    where = f" WHERE key NOT IN ({', '.join('?' * len(VOLATILE_META))})" if table == "meta" else ""
    params = sorted(VOLATILE_META) if table == "meta" else []
    return conn.execute(f'SELECT {cols} FROM "{table}"{where} ORDER BY rowid', params)


def compare(a_path: str, b_path: str) -> list[str]:
    a = sqlite3.connect(f"file:{a_path}?mode=ro", uri=True)
    b = sqlite3.connect(f"file:{b_path}?mode=ro", uri=True)
    problems: list[str] = []
    tables_a = {r[0] for r in a.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables_b = {r[0] for r in b.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables_a != tables_b:
        problems.append(f"tables differ: only in A {sorted(tables_a - tables_b)}, only in B {sorted(tables_b - tables_a)}")
    for table in sorted((tables_a & tables_b) - SKIP_TABLES):
        cols = _columns(a, table)
        if cols != _columns(b, table):
            problems.append(f"{table}: columns differ")
            continue
        cols = [c for c in cols if c not in VOLATILE.get(table, set())]
        n = 0
        for n, (ra, rb) in enumerate(zip(_rows(a, table, cols), _rows(b, table, cols)), start=1):
            if ra != rb:
                diff = [f"{c}: {x!r:.120} != {y!r:.120}" for c, x, y in zip(cols, ra, rb) if x != y]
                problems.append(f"{table}: row {n} differs: {'; '.join(diff)}")
                break
        count_a = a.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        count_b = b.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        if count_a != count_b:
            problems.append(f"{table}: {count_a} rows != {count_b} rows")
        print(f"{table}: {count_a} rows compared", file=sys.stderr)
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__)
        return 2
    problems = compare(args[0], args[1])
    for p in problems:
        print(p)
    print("IDENTICAL" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
