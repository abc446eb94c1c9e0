"""The importer measured on a corpus of real-style plans (tests/plans/*.txt).

Each plan has an ``.expected.json`` beside it, written by reading the document (not by running
the parser): for every task code, the lead unit, the partner units and the deadline a careful
reader finds in the text.  The test prints one table and fails when a figure drops below its
target: at least 98% of tasks found, leads right, partners complete and deadlines right, and
no deadline invented where the text gives none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from supervision.plan_parser import decode_plan_bytes, parse_plan

ROOT = Path(__file__).resolve().parent.parent  # tests/, where plans/ lives
PLANS = ROOT / "plans"
TARGET = 0.98


def expectations() -> list[Path]:
    return sorted(PLANS.glob("*.expected.json"))


def source_of(expected_path: Path, expected: dict) -> Path:
    if "source" in expected:
        return ROOT.parent / expected["source"]
    return expected_path.with_name(expected_path.name.replace(".expected.json", ".txt"))


def flatten(tasks: list[dict], prefix: str) -> dict[str, dict]:
    out = {}
    for task in tasks:
        code = f"{prefix}.{task['number']}"
        out[code] = task
        out.update(flatten(task["tasks"], code))
    return out


@dataclass
class Row:
    name: str
    kind: str
    found: int = 0
    expected: int = 0
    matched: int = 0
    leads: int = 0
    partners: int = 0
    deadlines: int = 0
    invented: int = 0


def measure(expected_path: Path) -> tuple[Row, list[str]]:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    path = source_of(expected_path, expected)
    plan = parse_plan(decode_plan_bytes(path.read_bytes()), expected["year"])
    found: dict[str, dict] = {}
    for project in plan["projects"]:
        found.update(flatten(project["tasks"], str(project["number"])))
    row = Row(name=path.stem, kind=expected["kind"], found=len(found))
    row.expected = len(expected["tasks"])
    misses = []
    for code, want in expected["tasks"].items():
        task = found.get(code)
        if task is None:
            misses.append(f"{path.stem} {code}: task not found")
            continue
        row.matched += 1
        if task["lead_department"] == want["lead"]:
            row.leads += 1
        else:
            misses.append(f"{path.stem} {code}: lead {task['lead_department']} != {want['lead']}")
        if set(task["partner_departments"]) == set(want["partners"]):
            row.partners += 1
        else:
            misses.append(
                f"{path.stem} {code}: partners {task['partner_departments']} != {want['partners']}"
            )
        if task["due"] == want["due"]:
            row.deadlines += 1
        else:
            misses.append(f"{path.stem} {code}: due {task['due']} != {want['due']}")
            if want["due"] is None:
                row.invented += 1
    for code in sorted(set(found) - set(expected["tasks"])):
        misses.append(f"{path.stem} {code}: task not expected ({found[code]['title']})")
    return row, misses


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    —"


def test_corpus_table() -> None:
    rows, misses = [], []
    for path in expectations():
        row, row_misses = measure(path)
        rows.append(row)
        misses += row_misses
    total = Row(name="合计", kind="")
    for row in rows:
        for key in ("found", "expected", "matched", "leads", "partners", "deadlines", "invented"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    header = (
        f"{'plan':40} {'kind':14} {'tasks found/expected':>20} {'leads right':>11} "
        f"{'partners complete':>17} {'deadlines right':>15} {'invented':>8}"
    )
    lines = [header, "-" * len(header)]
    for row in [*rows, total]:
        lines.append(
            f"{row.name:40} {row.kind:14} {f'{row.matched}/{row.expected} ({row.found})':>20} "
            f"{pct(row.leads, row.expected):>11} {pct(row.partners, row.expected):>17} "
            f"{pct(row.deadlines, row.expected):>15} {row.invented:>8}"
        )
    print("\n" + "\n".join(lines))
    if misses:
        print("\n".join(["", "differences:", *misses]))
    assert len(rows) >= 10
    assert total.found == total.expected, "tasks found that the reader does not see"
    for key in ("matched", "leads", "partners", "deadlines"):
        assert getattr(total, key) >= TARGET * total.expected, (key, misses)
    assert total.invented == 0, misses
