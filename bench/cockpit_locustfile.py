"""Locust users for ``bench/cockpit_bench.py``: staff who keep the recall cockpit open, ask its
progress API and go back to the home page. ``/healthz`` in the same run is the floor.

The bench passes the recall, a session cookie and an API token in the environment
(``COCKPIT_RECALL``, ``COCKPIT_SESSION``, ``COCKPIT_TOKEN``)."""

from __future__ import annotations

import os

from locust import HttpUser, between, task

RECALL = os.environ.get("COCKPIT_RECALL", "1")


class RecallStaff(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", os.environ.get("COCKPIT_SESSION", ""))
        self.token = os.environ.get("COCKPIT_TOKEN", "")

    @task(4)
    def cockpit(self) -> None:
        self.client.get(f"/recalls/{RECALL}/cockpit/", name="cockpit")

    @task(3)
    def progress_api(self) -> None:
        self.client.get(
            f"/api/recalls/{RECALL}/progress/",
            name="progress API",
            headers={"Authorization": f"Token {self.token}"},
        )

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(1)
    def healthz(self) -> None:
        self.client.get("/healthz", name="healthz")
