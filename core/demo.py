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
