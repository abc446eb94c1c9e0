"""`load_demo` fills both record apps (their demo_records.py, run through core/demo.py) with
records tied to the plan's tasks, once: a second run adds nothing."""

import pytest

from emergency.models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply
from foodsafety.models import Accident, Campaign, Inspection
from supervision.demo import load_demo

pytestmark = pytest.mark.django_db
MODELS = [
    EmergencyPlan,
    Drill,
    DrillProblem,
    Supply,
    IncidentReport,
    Campaign,
    Inspection,
    Accident,
]


def test_the_demo_fills_every_module_once():
    lines = []
    load_demo(out=lines.append)
    counts = {model.__name__: model.objects.count() for model in MODELS}
    assert all(counts.values()), counts
    assert any(line.startswith("应急管理：") for line in lines)
    assert any(line.startswith("食品安全：") for line in lines)
    food = Inspection.objects.select_related("task").first().task
    assert "食品安全" in food.title and food.lead_department.name == "食品安全协调处"
    assert "应急" in Drill.objects.select_related("task").first().task.title
    assert Inspection.objects.filter(rectified_on__isnull=False).exclude(proof="").exists()
    assert Inspection.objects.filter(rectified_on=None, rectify_by__isnull=False).exists()
    assert DrillProblem.objects.filter(done_on__isnull=False).exists()
    assert Supply.objects.filter(low_since__isnull=False).count() == 1
    load_demo(out=lambda *a: None)
    assert {model.__name__: model.objects.count() for model in MODELS} == counts
