"""The worker of the workflow's activity `packing`: it asks Step Functions
for a task (GetActivityTask, a long poll of up to 60 seconds), does the work,
sends a heartbeat every 20 seconds while it works (the state's
HeartbeatSeconds is 60), and reports the result (SendTaskSuccess) or the
error (SendTaskFailure, which the workflow's Catch takes).

Run it where the work happens, with credentials allowed
`states:GetActivityTask`, `states:SendTaskSuccess`, `states:SendTaskFailure`
and `states:SendTaskHeartbeat` on the activity:

    pip install -r requirements.txt
    ACTIVITY_ARN=arn:aws:states:...:activity:<workflow>-packing-<env> python worker.py

The activity's ARN is `custom.workflows.<workflow>.activities.packing` in
amplify_outputs.json. Against `hoist sandbox`, also set AWS_ENDPOINT_URL to
its `custom.hoist_sandbox.states_endpoint` and use the credentials of
`hoist sandbox credentials --admin`. `--once` stops after one task.
"""

import json
import os
import sys
import threading

HEARTBEAT_SECONDS = 20


def work(order):
    """Pack an order: replace this with your own work. Its result is the
    Task's output; an exception is the Task's error (its class name)."""
    items = order.get("items") or []
    if not items:
        raise ValueError("an order to pack has items")
    count = sum(int(item.get("quantity", 1)) for item in items)
    return {"box": "small" if count <= 3 else "large", "items": count}


class Heartbeats(threading.Thread):
    """Sends SendTaskHeartbeat for `token` every `interval` seconds until stopped."""

    def __init__(self, client, token, interval):
        super().__init__(daemon=True)
        self.client, self.token, self.interval = client, token, interval
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.interval):
            self.client.send_task_heartbeat(taskToken=self.token)

    def stop(self):
        self.stopped.set()


def handle(client, task, work=work, interval=HEARTBEAT_SECONDS):
    """Do one task (GetActivityTask's answer) and report it; True when it succeeded."""
    token = task["taskToken"]
    beats = Heartbeats(client, token, interval)
    beats.start()
    try:
        result = work(json.loads(task["input"]))
    except Exception as error:  # the workflow decides what an error means
        beats.stop()
        client.send_task_failure(taskToken=token, error=type(error).__name__, cause=str(error)[:32768])
        return False
    beats.stop()
    client.send_task_success(taskToken=token, output=json.dumps(result))
    return True


def poll(client, activity_arn, worker_name):
    """The next task of the activity, or None when none came within the poll."""
    task = client.get_activity_task(activityArn=activity_arn, workerName=worker_name)
    return task if task.get("taskToken") else None


def main(argv):
    import boto3
    from botocore.config import Config

    activity_arn = os.environ["ACTIVITY_ARN"]
    # GetActivityTask holds the connection for up to 60 seconds
    client = boto3.client("stepfunctions", config=Config(read_timeout=70, retries={"max_attempts": 3}))
    name = f"worker-{os.getpid()}"
    while True:
        task = poll(client, activity_arn, name)
        if task is None:
            continue
        handle(client, task)
        if "--once" in argv:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
