"""Test settings: the base settings, tuned for speed only."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests drive the database queue and run its worker themselves; the Redis/RQ path has its
# own test (tests/core/test_task_queues.py) when REDIS_URL points at a running server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if TASK_BACKEND == "rq":  # noqa: F405  (django_rq installed)
    TASKS["rq"] = {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}

# SQLite tests use a database file (not memory) so that a second process — a task worker
# killed in the middle of a send — can open the same test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-medrecall.sqlite3")}  # noqa: F405

# One process's memory is enough for the tests (cleared before each test in conftest.py);
# tests/accounts/test_security_settings.py checks the shared caches of the base settings.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "medrecall-tests",
    }
}

# The cockpit's figures are computed afresh in tests (tests/reporting turn the cache on themselves).
MEDRECALL_COCKPIT_CACHE_SECONDS = 0
