"""Print, as JSON, what a moto server holds that hoist's deploy tests check.

    python moto_state.py ENDPOINT REGION
"""

import ast
import json
import sys

import boto3


def main():
    endpoint, region = sys.argv[1], sys.argv[2]
    kwargs = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    idp = boto3.client("cognito-idp", **kwargs)
    identity = boto3.client("cognito-identity", **kwargs)
    s3 = boto3.client("s3", **kwargs)
    cfn = boto3.client("cloudformation", **kwargs)
    appsync = boto3.client("appsync", **kwargs)
    dynamodb = boto3.client("dynamodb", **kwargs)

    pools = []
    for summary in idp.list_user_pools(MaxResults=60)["UserPools"]:
        pool = idp.describe_user_pool(UserPoolId=summary["Id"])["UserPool"]
        pools.append({
            "id": pool["Id"],
            "name": pool["Name"],
            "mfa": pool.get("MfaConfiguration"),
            "username_attributes": pool.get("UsernameAttributes", []),
            "password_min_length": pool.get("Policies", {}).get("PasswordPolicy", {}).get("MinimumLength"),
            "groups": sorted(g["GroupName"] for g in idp.list_groups(UserPoolId=pool["Id"])["Groups"]),
            "clients": [c["ClientId"] for c in idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]],
        })
    identity_pools = [p["IdentityPoolId"] for p in identity.list_identity_pools(MaxResults=60)["IdentityPools"]]
    buckets = {}
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        except s3.exceptions.ClientError:
            policy = None
        notifications = s3.get_bucket_notification_configuration(Bucket=name)
        buckets[name] = {
            "policy": policy,
            "eventbridge": "EventBridgeConfiguration" in notifications,
        }
    stacks = {
        s["StackName"]: s["StackStatus"]
        for s in cfn.list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    apis = []
    for api in appsync.list_graphql_apis()["graphqlApis"]:
        apis.append({
            "id": api["apiId"],
            "name": api["name"],
            "auth": api["authenticationType"],
            "additional_auth": [p["authenticationType"] for p in api.get("additionalAuthenticationProviders", [])],
            "keys": [k["id"] for k in appsync.list_api_keys(apiId=api["apiId"])["apiKeys"]],
        })
    tables = {}
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        tables[name] = {
            "key": [k["AttributeName"] for k in table["KeySchema"]],
            "billing": table.get("BillingModeSummary", {}).get("BillingMode"),
            "stream": table.get("StreamSpecification", {}).get("StreamViewType"),
            "tags": {t["Key"]: t["Value"] for t in dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])},
        }
    logs = boto3.client("logs", **kwargs)
    log_groups = {
        g["logGroupName"]: g.get("retentionInDays")
        for g in logs.describe_log_groups().get("logGroups", [])
    }
    lam = boto3.client("lambda", **kwargs)
    iam = boto3.client("iam", **kwargs)
    functions = {}
    for f in lam.list_functions()["Functions"]:
        role = f["Role"].rsplit("/", 1)[-1]
        policies = {}
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            # moto keeps a CloudFormation role's inline policy as Python's repr
            if isinstance(document, str):
                document = ast.literal_eval(document)
            policies[name] = document
        functions[f["FunctionName"]] = {
            "runtime": f["Runtime"],
            "handler": f["Handler"],
            "memory": f["MemorySize"],
            "timeout": f["Timeout"],
            "code_sha256": f["CodeSha256"],
            "environment": f.get("Environment", {}).get("Variables", {}),
            "role_policies": policies,
            "resource_policy": _resource_policy(lam, f["FunctionName"]),
            "event_sources": [
                m["EventSourceArn"]
                for m in lam.list_event_source_mappings(FunctionName=f["FunctionName"])["EventSourceMappings"]
            ],
        }
    events = boto3.client("events", **kwargs)
    rules = {}
    for rule in events.list_rules().get("Rules", []):
        rules[rule["Name"]] = {
            "arn": rule["Arn"],
            "schedule": rule.get("ScheduleExpression"),
            "pattern": json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None,
            "targets": [t["Arn"] for t in events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])],
        }
    print(json.dumps({
        "user_pools": pools, "identity_pools": identity_pools, "buckets": buckets, "stacks": stacks,
        "apis": apis, "tables": tables, "log_groups": log_groups, "functions": functions,
        "rules": rules,
    }, indent=2))


def _resource_policy(lam, name):
    """The function's resource policy's statements (who may invoke it), or []."""
    try:
        return json.loads(lam.get_policy(FunctionName=name)["Policy"]).get("Statement", [])
    except lam.exceptions.ResourceNotFoundException:
        return []


if __name__ == "__main__":
    main()
