"""Print, as JSON, a deployed state machine as the Step Functions and IAM
APIs describe it: its definition, type, logging, tracing and its role's
inline policies.

    python sfn_machine.py ENDPOINT REGION MACHINE_NAME
"""

import ast
import json
import sys

import boto3


def clients(endpoint, region, *services):
    kwargs = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="t", aws_secret_access_key="t")
    return [boto3.client(s, **kwargs) for s in services]


def document(value):
    # moto keeps a policy CloudFormation made as Python's text of it
    return value if isinstance(value, dict) else ast.literal_eval(value)


def describe(endpoint, region, name):
    sfn, iam = clients(endpoint, region, "stepfunctions", "iam")
    machines = sfn.list_state_machines()["stateMachines"]
    machine = next((m for m in machines if m["name"] == name), None)
    if machine is None:
        raise SystemExit(f"no state machine {name} in {region}: {[m['stateMachineArn'] for m in machines]}")
    described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
    role = described["roleArn"].rsplit("/", 1)[-1]
    return {
        "arn": machine["stateMachineArn"],
        "definition": json.loads(described["definition"]),
        "type": described.get("type"),
        "logging": described.get("loggingConfiguration"),
        "tracing": described.get("tracingConfiguration"),
        "policies": {
            p: document(iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"])
            for p in iam.list_role_policies(RoleName=role)["PolicyNames"]
        },
    }


if __name__ == "__main__":
    print(json.dumps(describe(*sys.argv[1:4]), default=str))
