"""Demo data of every app: each app registers, in its own `demo_records.py` (found at
start-up, core/apps.py), a loader that `load_demo` runs after the plan and the accounts are in
place. A loader fills its module with plausible records, dated into the plan's year, and is
safe to run twice (it adds nothing when its records exist)."""

LOADERS = {}


def register(name, order=100):
    """Decorator: add the loader `name`, a function `(out) -> None`."""

    def decorate(loader):
        LOADERS[name] = (order, loader)
        return loader

    return decorate


def load_all(out=print):
    for _order, loader in sorted(LOADERS.values(), key=lambda pair: pair[0]):
        loader(out)


def task_for(model, keyword):
    """The newest plan's task about `keyword` (in its title) that has a lead department, for
    the records of `model` (found through its `task` foreign key, so an app names no other
    app), or None. Only a plan's tasks (in a project): other 督办事项 may share the words."""
    tasks = model._meta.get_field("task").related_model.objects
    return (
        tasks.filter(title__contains=keyword, lead_department__isnull=False, project__isnull=False)
        .select_related("project__plan", "lead_department")
        .order_by("-project__plan__year", "path")
        .first()
    )
