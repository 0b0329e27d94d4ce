"""Run a state machine in moto's Step Functions (with execution turned on) and
print how it ended, as `hoist workflow run --json` prints it.

    python sfn_run.py ENDPOINT NAME DEFINITION.json INPUT.json
"""

import json
import sys
import time
import urllib.request

import boto3

endpoint, name, definition_path, input_path = sys.argv[1:5]
request = urllib.request.Request(
    endpoint + "/moto-api/config",
    data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
    method="POST",
    headers={"Content-Type": "application/json"},
)
urllib.request.urlopen(request).read()
sfn = boto3.client(
    "stepfunctions",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
with open(definition_path) as f:
    definition = f.read()
with open(input_path) as f:
    execution_input = f.read()
machine = sfn.create_state_machine(
    name=name, definition=definition, roleArn="arn:aws:iam::123456789012:role/sfn"
)["stateMachineArn"]
execution = sfn.start_execution(stateMachineArn=machine, input=execution_input)["executionArn"]
deadline = time.time() + 60
while True:
    described = sfn.describe_execution(executionArn=execution)
    if described["status"] != "RUNNING" or time.time() > deadline:
        break
    time.sleep(0.1)
output = described.get("output")
if output is not None:
    try:
        output = json.loads(output)
    except ValueError:
        # moto returns some outputs (a bare string) without JSON quoting
        output = {"unparsed": output}
print(json.dumps({
    "status": described["status"],
    "output": output,
    "error": described.get("error"),
    "cause": described.get("cause"),
}))
