"""The password hasher: Django's Argon2 with parameters that fit a 2-core server.

Django's defaults (100 MiB, 2 passes, 8 lanes) cost about 0.3 s per check here, as much as the
PBKDF2 they were to replace (1,000,000 iterations), because 8 lanes gain nothing on 2 cores.
These are OWASP's Password Storage Cheat Sheet minimum for Argon2id (19 MiB, 2 passes, 1
lane): about 20 ms per check. Hashes made with other parameters, or by PBKDF2, are rehashed
with these at the next sign-in (Django's `must_update`)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2Hasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
