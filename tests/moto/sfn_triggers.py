"""Read what starts a deployed workflow in moto, through the AWS APIs: its
REST endpoint (the method, its integration with Step Functions, the role API
Gateway takes, the authorizer, the stage), the paths that answer a task token, its EventBridge rules (pattern or
schedule, target, the role EventBridge takes); then put two events on the
default bus, one the workflow's pattern matches and one it does not, and list
the executions they started. Prints what it saw, as JSON.

    python sfn_triggers.py ENDPOINT REGION WORKFLOW MACHINE_NAME
"""

import json
import sys
import time

from sfn_machine import clients, document

endpoint, region, workflow, machine_name = sys.argv[1:5]
apigateway, events, iam, sfn = clients(endpoint, region, "apigateway", "events", "iam", "stepfunctions")


def role_statements(arn):
    role = arn.rsplit("/", 1)[-1]
    trust = document(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])
    policies = {
        p: document(iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"])["Statement"]
        for p in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    return {"trust": trust["Statement"], "policies": policies}


machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == machine_name)
seen = {"machine": machine["stateMachineArn"]}

apis = [a for a in apigateway.get_rest_apis()["items"] if a["name"].endswith(f"-workflow-{workflow}")]
if apis:
    api = apis[0]["id"]
    resources = {r["path"]: r for r in apigateway.get_resources(restApiId=api)["items"]}
    path = resources[f"/workflows/{workflow}"]
    post = apigateway.get_method(restApiId=api, resourceId=path["id"], httpMethod="POST")
    integration = post["methodIntegration"]
    seen["api"] = {
        "paths": sorted(resources),
        "methods": sorted(path.get("resourceMethods", {})),
        "authorization": post["authorizationType"],
        "authorizers": [
            {"id": a["id"], "type": a["type"], "providers": a.get("providerARNs")}
            for a in apigateway.get_authorizers(restApiId=api)["items"]
        ],
        "authorizer": post.get("authorizerId"),
        "uri": integration["uri"],
        "passthrough": integration.get("passthroughBehavior"),
        "request_templates": integration.get("requestTemplates"),
        "responses": sorted(integration.get("integrationResponses", {})),
        "role": role_statements(integration["credentials"]),
        "stages": [
            {"name": s["stageName"], "tracing": s.get("tracingEnabled")}
            for s in apigateway.get_stages(restApiId=api)["item"]
        ],
    }
    # the paths that answer a task token, when the workflow waits for one
    answers = {}
    for answer in ("task-success", "task-failure"):
        at = resources.get(f"/workflows/{workflow}/{answer}")
        if at is None:
            continue
        method = apigateway.get_method(restApiId=api, resourceId=at["id"], httpMethod="POST")
        answers[answer] = {
            "methods": sorted(at.get("resourceMethods", {})),
            "authorization": method["authorizationType"],
            "uri": method["methodIntegration"]["uri"],
            "role": role_statements(method["methodIntegration"]["credentials"]),
        }
    seen["api"]["answers"] = answers

rules = []
for rule in events.list_rules()["Rules"]:
    targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    if any(t["Arn"] == machine["stateMachineArn"] for t in targets):
        rules.append(
            {
                "pattern": json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None,
                "schedule": rule.get("ScheduleExpression"),
                "state": rule["State"],
                "role": role_statements(targets[0]["RoleArn"]),
            }
        )
seen["rules"] = sorted(rules, key=lambda r: json.dumps(r, sort_keys=True))

# an event the pattern matches, and one it does not
events.put_events(
    Entries=[
        {"Source": "app.orders", "DetailType": "OrderPlaced", "Detail": json.dumps({"orderId": "o-1"})},
        {"Source": "app.other", "DetailType": "OrderPlaced", "Detail": json.dumps({"orderId": "o-2"})},
    ]
)
deadline = time.time() + 10
executions = []
while time.time() < deadline:
    executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    if executions:
        break
    time.sleep(0.2)
seen["started"] = [
    json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in executions
]
print(json.dumps(seen, default=str))
