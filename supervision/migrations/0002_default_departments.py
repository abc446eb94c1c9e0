from django.db import migrations

from supervision.defaults import load_defaults


def forwards(apps, schema_editor):
    load_defaults(
        apps.get_model("supervision", "Department"),
        apps.get_model("supervision", "DepartmentKeyword"),
    )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
