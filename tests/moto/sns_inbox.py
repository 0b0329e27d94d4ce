"""An approver's inbox in moto: a queue subscribed to a topic.

    python sns_inbox.py ENDPOINT REGION subscribe TOPIC_ARN   -> {"queue": URL}
    python sns_inbox.py ENDPOINT REGION receive               -> {"body": ..., "token": ...}

`receive` waits up to 30 s for the next message and reads the task token
after `--token ` in it (the human approval blueprint's message).
"""

import json
import sys
import time

from sfn_machine import clients

endpoint, region, action = sys.argv[1:4]
sqs, sns = clients(endpoint, region, "sqs", "sns")
queue = sqs.create_queue(QueueName="approver-inbox")["QueueUrl"]
if action == "subscribe":
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=sys.argv[4], Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    print(json.dumps({"queue": queue}))
else:
    deadline = time.time() + 30
    while time.time() < deadline:
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            body = message["Body"]
            print(json.dumps({"body": body, "token": body.split("--token ", 1)[1].split(" ", 1)[0]}))
            sys.exit(0)
    raise SystemExit("no message reached the queue")
