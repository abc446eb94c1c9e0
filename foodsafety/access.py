"""Who may do what in the 食品安全 module (found at start-up by core/apps.py): the shared
department rule of core/records.py on every model, and the module's actions on no record."""

from core.access import policy
from core.records import app_rule, department_rule

from .models import Accident, Campaign, Inspection

for model in (Campaign, Inspection, Accident):
    policy(model)(department_rule)
policy(None)(app_rule("foodsafety"))
