"""The worker's own tests (pytest), with a stand-in for the Step Functions client."""

import json

import worker


class FakeStepFunctions:
    def __init__(self):
        self.calls = []

    def send_task_success(self, **kwargs):
        self.calls.append(("success", kwargs))

    def send_task_failure(self, **kwargs):
        self.calls.append(("failure", kwargs))

    def send_task_heartbeat(self, **kwargs):
        self.calls.append(("heartbeat", kwargs))

    def get_activity_task(self, **kwargs):
        return {}


def test_a_packed_order_reports_its_box():
    client = FakeStepFunctions()
    task = {"taskToken": "t-1", "input": json.dumps({"items": [{"sku": "book", "quantity": 2}]})}
    assert worker.handle(client, task)
    assert client.calls == [("success", {"taskToken": "t-1", "output": json.dumps({"box": "small", "items": 2})})]


def test_a_failure_is_reported_with_its_class_name():
    client = FakeStepFunctions()
    assert not worker.handle(client, {"taskToken": "t-2", "input": "{}"})
    kind, sent = client.calls[-1]
    assert kind == "failure"
    assert sent["error"] == "ValueError"
    assert "has items" in sent["cause"]


def test_heartbeats_are_sent_while_the_work_runs():
    client = FakeStepFunctions()
    seen = []

    def slow(order):
        import time

        time.sleep(0.35)
        seen.append(order)
        return {}

    assert worker.handle(client, {"taskToken": "t-3", "input": "{}"}, work=slow, interval=0.1)
    assert [k for k, _ in client.calls].count("heartbeat") >= 2
    assert client.calls[-1][0] == "success"


def test_an_empty_poll_is_no_task():
    assert worker.poll(FakeStepFunctions(), "arn", "w") is None
