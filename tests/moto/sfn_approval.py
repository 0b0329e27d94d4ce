"""Drive a deployed human-approval workflow in moto's Step Functions (the
test turns execution on before it deploys): read its machine and role, then approve one execution
and reject another through the task token the machine publishes on its
topic, as an approver's tool would. Prints what it saw, as JSON.

    python sfn_approval.py ENDPOINT REGION MACHINE_NAME
"""

import json
import sys
import time

from sfn_machine import clients, describe

endpoint, region, name = sys.argv[1:4]
machine = describe(endpoint, region, name)
sfn, sns, sqs = clients(endpoint, region, "stepfunctions", "sns", "sqs")
topic = machine["definition"]["States"]["AskForApproval"]["Parameters"]["TopicArn"]

# an approver's inbox: a queue subscribed to the topic
inbox = sqs.create_queue(QueueName="approver-inbox")["QueueUrl"]
inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})


def token_of_next_message():
    deadline = time.time() + 30
    while time.time() < deadline:
        for message in sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
            body = message["Body"]
            return body, body.split("--token ", 1)[1].split(" ", 1)[0]
    raise SystemExit("no approval request reached the topic")


def finished(execution):
    deadline = time.time() + 30
    while True:
        d = sfn.describe_execution(executionArn=execution)
        if d["status"] != "RUNNING" or time.time() > deadline:
            return d
        time.sleep(0.1)


results = {}
for decision in ["approve", "reject"]:
    execution = sfn.start_execution(
        stateMachineArn=machine["arn"],
        name=f"request-{decision}",
        input=json.dumps({"request": {"what": "a laptop", "by": "ada"}}),
    )["executionArn"]
    body, token = token_of_next_message()
    waiting = sfn.describe_execution(executionArn=execution)["status"]
    if decision == "approve":
        sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True, "by": "grace"}))
    else:
        sfn.send_task_failure(taskToken=token, error="Rejected", cause="too expensive")
    d = finished(execution)
    failed = [
        e["executionFailedEventDetails"]
        for e in sfn.get_execution_history(executionArn=execution)["events"]
        if e["type"] == "ExecutionFailed"
    ]
    results[decision] = {
        "failed": failed[0] if failed else None,
        "message": body,
        "status_while_waiting": waiting,
        "status": d["status"],
        "output": json.loads(d["output"]) if d.get("output") else None,
        "error": d.get("error"),
        "cause": d.get("cause"),
    }

print(json.dumps({"machine": machine, "topic": topic, "executions": results}, default=str))
