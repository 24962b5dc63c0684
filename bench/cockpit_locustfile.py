"""Locust users for ``bench/cockpit_bench.py``: staff who keep the recall cockpit open, ask its
progress API and go back to the home page. ``/healthz`` in the same run is the floor.

The bench passes the recall, a session cookie and an API token in the environment
(``COCKPIT_RECALL``, ``COCKPIT_SESSION``, ``COCKPIT_TOKEN``).

``FastHttpUser`` (geventhttpclient, installed with locust): the users run on the server's own
two cores, where ``HttpUser`` (requests) spent several times the CPU per request that real
users on other machines take from nobody; the server is what is measured."""

from __future__ import annotations

import os

from locust import FastHttpUser, between, task

RECALL = os.environ.get("COCKPIT_RECALL", "1")


class RecallStaff(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.session = {"Cookie": f"sessionid={os.environ.get('COCKPIT_SESSION', '')}"}
        self.token = os.environ.get("COCKPIT_TOKEN", "")

    def ask(self, path: str, name: str, headers: dict[str, str]) -> None:
        """A page asked as a user would; anything but the page itself (a redirect to the log-in,
        an error) counts as a failure, so that a run never measures the wrong page."""
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(4)
    def cockpit(self) -> None:
        self.ask(f"/recalls/{RECALL}/cockpit/", "cockpit", self.session)

    @task(3)
    def progress_api(self) -> None:
        self.ask(
            f"/api/recalls/{RECALL}/progress/",
            "progress API",
            {"Authorization": f"Token {self.token}"},
        )

    @task(2)
    def home(self) -> None:
        self.ask("/", "home", self.session)

    @task(1)
    def healthz(self) -> None:
        self.ask("/healthz", "healthz", {})
