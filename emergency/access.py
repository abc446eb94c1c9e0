"""Who may do what in the 应急管理 module (found at start-up by core/apps.py): the shared
department rule of core/records.py on every model, and the module's actions on no record."""

from core.access import policy
from core.records import app_rule, department_rule

from .models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply

for model in (EmergencyPlan, Drill, DrillProblem, Supply, IncidentReport):
    policy(model)(department_rule)
policy(None)(app_rule("emergency"))
