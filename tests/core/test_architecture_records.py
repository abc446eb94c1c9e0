"""emergency/ and foodsafety/ import only the core (and themselves): their records point at
plan tasks through a foreign key by name ("supervision.Task"), which is no import, and they
plug into the task's page, light, ledger, dashboard, reminders, scoring and demo through the
core's registries. Nothing in core or supervision names them."""

from pathlib import Path

from tests.core.test_architecture import ROOT, graph

APPS = ("emergency", "foodsafety")


def test_the_record_apps_import_only_the_core():
    sideways = {
        name: sorted(t for t in targets if t.split(".")[0] not in ("core", name.split(".")[0]))
        for name, targets in graph().items()
        if name.split(".")[0] in APPS
    }
    assert {name: t for name, t in sideways.items() if t} == {}
    assert any(name.startswith("emergency.") for name in sideways)  # the walk found them


def test_core_and_supervision_never_name_the_record_apps():
    named = []
    for app in ("core", "supervision"):
        for path in Path(ROOT, app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            named += [f"{path.relative_to(ROOT)}: {a}" for a in APPS if a in text]
    assert named == []
