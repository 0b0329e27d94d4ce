"""moto server for hoist's tests, with an extension.

moto 5.2.5's CloudFormation ignores the Cognito resource types hoist emits,
S3 bucket policies and a bucket's EventBridge switch, Step Functions
activities and a state machine's DefinitionSubstitutions, type, logging and
tracing, and a SendTaskFailure's cause, API Gateway stages and authorizers and
most of a method (its integration's role, templates and responses), EventBridge
rules' Step Functions targets, DynamoDB's one-index-per-table-update rule, and
cannot resolve `Fn::GetAtt Nested.Outputs.Name`. This
module registers CloudFormation handlers for those types, backed by moto's own
cognito-idp, cognito-identity and S3 backends (so the resources can be checked
through the AWS APIs afterwards), and patches the nested-stack gap. hoist's own
behaviour is never bent for moto: every fix lives here.

    python hoist_moto.py -H 127.0.0.1 -p PORT
"""

import json
import sys
import uuid
from datetime import datetime, timezone

from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends
from moto.cloudformation.utils import get_stack_from_s3_url
from moto.apigateway.models import Method as ApiGatewayMethod, apigateway_backends
from moto.appsync.models import appsync_backends
from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidp.models import cognitoidp_backends
from moto.events.models import Rule as EventsRule
from moto.core.common_models import CloudFormationModel
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket, s3_backends
from moto.s3.responses import S3Response
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.responses import StepFunctionResponse
from moto.stepfunctions.utils import cfn_to_api_tags
from moto.utilities.utils import get_partition


def _idp(account_id, region_name):
    return cognitoidp_backends[account_id][region_name]


class _Handler:
    """A resource created through one of moto's backends. moto finds handlers
    among the direct subclasses of CloudFormationModel: each class below names both."""

    TYPE = ""
    ATTRIBUTES = {}

    def __init__(self, physical_id, attributes, region_name, account_id, properties):
        self._physical_id = physical_id
        self._attributes = attributes
        self.region_name = region_name
        self.account_id = account_id
        self.properties = properties

    @classmethod
    def cloudformation_type(cls):
        return cls.TYPE

    @staticmethod
    def cloudformation_name_type():
        return ""

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in cls.ATTRIBUTES

    @property
    def physical_resource_id(self):
        return self._physical_id

    def get_cfn_attribute(self, attribute_name):
        return self._attributes[attribute_name]

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        # moto replaces what changed: delete the old resource, create the new one.
        cls.delete_from_cloudformation_json(original_resource.physical_resource_id, {"Properties": original_resource.properties}, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


class UserPool(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::Cognito::UserPool"
    ATTRIBUTES = {"Arn", "ProviderName", "ProviderURL", "UserPoolId"}

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        name = props.get("UserPoolName", resource_name)
        # CloudFormation's EnabledMfas is SetUserPoolMfaConfig in the API
        enabled = props.pop("EnabledMfas", [])
        pool = _idp(account_id, region_name).create_user_pool(name, props)
        if enabled:
            pool.token_mfa_config = {"Enabled": "SOFTWARE_TOKEN_MFA" in enabled}
            if "SMS_MFA" in enabled:
                pool.sms_mfa_config = {"SmsConfiguration": props.get("SmsConfiguration", {})}
        provider = f"cognito-idp.{region_name}.amazonaws.com/{pool.id}"
        attributes = {"Arn": pool.arn, "ProviderName": provider, "ProviderURL": f"https://{provider}", "UserPoolId": pool.id}
        return cls(pool.id, attributes, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        _idp(account_id, region_name).delete_user_pool(resource_name)


class UserPoolClient(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::Cognito::UserPoolClient"
    ATTRIBUTES = {"ClientId", "Name"}

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        client = _idp(account_id, region_name).create_user_pool_client(props["UserPoolId"], props.get("GenerateSecret", False), props)
        return cls(client.id, {"ClientId": client.id, "Name": props.get("ClientName", "")}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        _idp(account_id, region_name).delete_user_pool_client(cloudformation_json["Properties"]["UserPoolId"], resource_name)


class UserPoolGroup(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::Cognito::UserPoolGroup"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        group = _idp(account_id, region_name).create_group(
            props["UserPoolId"], props["GroupName"], props.get("Description", ""), props.get("RoleArn"), props.get("Precedence")
        )
        return cls(group.group_name, {}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        _idp(account_id, region_name).delete_group(cloudformation_json["Properties"]["UserPoolId"], resource_name)


class UserPoolDomain(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::Cognito::UserPoolDomain"
    ATTRIBUTES = {"CloudFrontDistribution"}

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        _idp(account_id, region_name).create_user_pool_domain(props["UserPoolId"], props["Domain"])
        return cls(props["Domain"], {"CloudFrontDistribution": "d111111abcdef8.cloudfront.net"}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        _idp(account_id, region_name).delete_user_pool_domain(resource_name)


class UserPoolIdentityProvider(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::Cognito::UserPoolIdentityProvider"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        _idp(account_id, region_name).create_identity_provider(props["UserPoolId"], props["ProviderName"], props)
        return cls(props["ProviderName"], {}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        _idp(account_id, region_name).delete_identity_provider(cloudformation_json["Properties"]["UserPoolId"], resource_name)


class IdentityPool(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::Cognito::IdentityPool"
    ATTRIBUTES = {"Name", "Id"}

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        created = json.loads(
            cognitoidentity_backends[account_id][region_name].create_identity_pool(
                identity_pool_name=props.get("IdentityPoolName", resource_name),
                allow_unauthenticated_identities=props.get("AllowUnauthenticatedIdentities", False),
                supported_login_providers=props.get("SupportedLoginProviders", {}),
                developer_provider_name=props.get("DeveloperProviderName", ""),
                open_id_connect_provider_arns=props.get("OpenIdConnectProviderARNs", []),
                cognito_identity_providers=props.get("CognitoIdentityProviders", []),
                saml_provider_arns=props.get("SamlProviderARNs", []),
                tags={},
            )
        )
        pool_id = created["IdentityPoolId"]
        return cls(pool_id, {"Name": created["IdentityPoolName"], "Id": pool_id}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cognitoidentity_backends[account_id][region_name].delete_identity_pool(resource_name)


# Role attachments are kept here so tests can read them (moto has no GetIdentityPoolRoles data for them).
ROLE_ATTACHMENTS = {}


class IdentityPoolRoleAttachment(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::Cognito::IdentityPoolRoleAttachment"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        ROLE_ATTACHMENTS[props["IdentityPoolId"]] = props
        return cls(props["IdentityPoolId"], {}, region_name, account_id, props)


class BucketPolicy(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        s3_backends[account_id][get_partition(region_name)].put_bucket_policy(
            props["Bucket"], json.dumps(props["PolicyDocument"]).encode()
        )
        return cls(props["Bucket"], {}, region_name, account_id, props)


# moto cannot resolve `Fn::GetAtt [NestedStack, Outputs.Name]`: read the nested stack's output.
def _get_cfn_attribute(self, attribute_name):
    if attribute_name.startswith("Outputs."):
        output = self.output_map[attribute_name[len("Outputs."):]]
        if output is not None:
            return output.value
    raise NotImplementedError(f"GetAtt {attribute_name} of a nested stack")


Stack.get_cfn_attribute = _get_cfn_attribute


def _api_shape(value):
    """CloudFormation's `UserPoolConfig: {UserPoolId}` as the AppSync API's `userPoolConfig: {userPoolId}`."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _api_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_shape(v) for v in value]
    return value


class GraphQLApi(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::AppSync::GraphQLApi"
    ATTRIBUTES = {"ApiId", "Arn", "GraphQLUrl", "GraphQLDns", "RealtimeUrl", "RealtimeDns", "GraphQLEndpointArn"}

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        api = appsync_backends[account_id][region_name].create_graphql_api(
            name=props["Name"],
            log_config=_api_shape(props.get("LogConfig")),
            authentication_type=props["AuthenticationType"],
            user_pool_config=_api_shape(props.get("UserPoolConfig")),
            open_id_connect_config=_api_shape(props.get("OpenIDConnectConfig")),
            additional_authentication_providers=_api_shape(props.get("AdditionalAuthenticationProviders")),
            xray_enabled=props.get("XrayEnabled", False),
            lambda_authorizer_config=_api_shape(props.get("LambdaAuthorizerConfig")),
            tags={t["Key"]: t["Value"] for t in props.get("Tags", [])},
            visibility=None,
        )
        # moto answers every API's URL with a placeholder; give the real shape.
        dns = f"{api.api_id.replace('-', '')[:26]}.appsync-api.{region_name}.amazonaws.com"
        realtime = dns.replace("appsync-api", "appsync-realtime-api")
        attributes = {
            "ApiId": api.api_id,
            "Arn": api.arn,
            "GraphQLUrl": f"https://{dns}/graphql",
            "GraphQLDns": dns,
            "RealtimeUrl": f"wss://{realtime}/graphql",
            "RealtimeDns": realtime,
            "GraphQLEndpointArn": api.arn,
        }
        return cls(api.api_id, attributes, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        appsync_backends[account_id][region_name].delete_graphql_api(resource_name)


class GraphQLSchema(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::AppSync::GraphQLSchema"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        api = appsync_backends[account_id][region_name].get_graphql_api(props["ApiId"])
        definition = props.get("Definition")
        if definition is None:
            # DefinitionS3Location: s3://bucket/key, read from moto's own S3
            bucket, key = props["DefinitionS3Location"][len("s3://"):].split("/", 1)
            definition = s3_backends[account_id][get_partition(region_name)].get_object(bucket, key).value.decode()
        api.start_schema_creation(definition.encode())
        return cls(f"{props['ApiId']}GraphQLSchema", {}, region_name, account_id, props)


class ApiKey(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::AppSync::ApiKey"
    ATTRIBUTES = {"ApiKey", "Arn", "ApiKeyId"}

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        api = appsync_backends[account_id][region_name].get_graphql_api(props["ApiId"])
        expires = props.get("Expires")
        key = api.create_api_key(props.get("Description", ""), datetime.fromtimestamp(int(expires), tz=timezone.utc).replace(tzinfo=None) if expires else None)
        arn = f"{api.arn}/apikeys/{key.key_id}"
        return cls(arn, {"ApiKey": key.key_id, "Arn": arn, "ApiKeyId": key.key_id}, region_name, account_id, props)


class _AppSyncPart(_Handler):
    """Data sources, functions and resolvers: moto's AppSync has no model for them;
    they are kept as CloudFormation resources with realistic attributes."""

    KIND = ""

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        api_arn = f"arn:aws:appsync:{region_name}:{account_id}:apis/{props['ApiId']}"
        part = props.get("Name") or f"{props.get('TypeName')}.{props.get('FieldName')}"
        arn = f"{api_arn}/{cls.KIND}/{part}"
        attributes = {
            "DataSourceArn": arn, "Name": props.get("Name", part), "FunctionId": part, "FunctionArn": arn,
            "DataSourceName": props.get("DataSourceName", ""), "ResolverArn": arn,
            "TypeName": props.get("TypeName", ""), "FieldName": props.get("FieldName", ""),
        }
        return cls(arn, attributes, region_name, account_id, props)


class DataSource(_AppSyncPart, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::AppSync::DataSource"
    KIND = "datasources"
    ATTRIBUTES = {"DataSourceArn", "Name"}


class FunctionConfiguration(_AppSyncPart, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::AppSync::FunctionConfiguration"
    KIND = "functions"
    ATTRIBUTES = {"FunctionId", "FunctionArn", "DataSourceName", "Name"}


class Resolver(_AppSyncPart, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::AppSync::Resolver"
    KIND = "types"
    ATTRIBUTES = {"ResolverArn", "TypeName", "FieldName"}


# moto drops the Tags of an AWS::CloudFormation::Stack resource: nested stacks
# carry no tags. Create them as moto does, with their tags.
def _create_nested_stack(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json["Properties"]
    template_body = get_stack_from_s3_url(properties["TemplateURL"], account_id=account_id, partition=get_partition(region_name))
    tags = {t["Key"]: t["Value"] for t in properties.get("Tags", [])}
    return cloudformation_backends[account_id][region_name].create_stack(
        name=resource_name, template=template_body, parameters=properties.get("Parameters", {}), tags=tags
    )


Stack.create_from_cloudformation_json = classmethod(_create_nested_stack)


# DynamoDB creates or deletes at most one global secondary index per table
# update ("You can create or delete only one global secondary index per
# UpdateTable operation", DynamoDB API reference), and CloudFormation fails a
# stack update that asks for more. moto replaces a nested stack on update
# (deletes it, then creates it anew) and never meets the rule: check it first,
# table by table, down the nested stacks, against what each stack holds.
_replace_nested_stack = Stack.update_from_cloudformation_json.__func__


def _indexes(table):
    return {
        i["IndexName"]: (json.dumps(i.get("KeySchema"), sort_keys=True), json.dumps(i.get("Projection"), sort_keys=True))
        for i in (table.get("Properties") or {}).get("GlobalSecondaryIndexes") or []
    }


def _check_index_changes(stack, template_body, bucket, region_name, account_id):
    from moto.cloudformation.exceptions import ValidationError

    new = json.loads(template_body) if isinstance(template_body, str) else template_body
    old = json.loads(stack.template) if isinstance(stack.template, str) else stack.template
    for logical, resource in (new.get("Resources") or {}).items():
        before = (old.get("Resources") or {}).get(logical)
        if not before or before.get("Type") != resource.get("Type"):
            continue
        if resource["Type"] == "AWS::DynamoDB::Table":
            a, b = _indexes(before), _indexes(resource)
            # an index whose key or projection changes is deleted, then created: two changes
            changed = sorted({n for n in a if a[n] != b.get(n)} | {n for n in b if b[n] != a.get(n)})
            count = sum(2 if n in a and n in b else 1 for n in changed)
            if count > 1:
                raise ValidationError(
                    message=f"Cannot perform more than one GSI creation or deletion in a single update ({stack.name}/{logical}: {', '.join(changed)})"
                )
        elif resource["Type"] == "AWS::CloudFormation::Stack":
            child = stack.resource_map._parsed_resources.get(logical)
            url = resource["Properties"]["TemplateURL"]
            if isinstance(url, dict):
                url = url.get("Fn::Sub", "")
            url = url.replace("${DeploymentBucket}", bucket).replace("${AWS::Region}", region_name)
            if isinstance(child, Stack) and url.startswith("https://"):
                body = get_stack_from_s3_url(url, account_id=account_id, partition=get_partition(region_name))
                _check_index_changes(child, body, bucket, region_name, account_id)


def _update_nested_stack(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    url = cloudformation_json["Properties"]["TemplateURL"]
    bucket = url.split("://", 1)[-1].split(".s3.", 1)[0]
    body = get_stack_from_s3_url(url, account_id=account_id, partition=get_partition(region_name))
    _check_index_changes(original_resource, body, bucket, region_name, account_id)
    return _replace_nested_stack(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)


Stack.update_from_cloudformation_json = classmethod(_update_nested_stack)


# moto enforces bucket policies but ignores their conditions: the statement that
# denies requests made without TLS would deny every request (moto speaks plain
# HTTP). Evaluate the statements moto can evaluate, those without a condition.
def _bucket_permission(self, action, resource):
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy)
    policy["Statement"] = [s for s in policy.get("Statement", []) if "Condition" not in s]
    if not policy["Statement"]:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


FakeBucket.get_permission = _bucket_permission


# moto's CloudFormation drops a bucket's NotificationConfiguration, and its
# GetBucketNotificationConfiguration never answers EventBridgeConfiguration
# (S3 answers an empty `<EventBridgeConfiguration/>` when events go to
# EventBridge). Keep the EventBridge switch, and answer it.
def _with_eventbridge(original):
    def handler(cls, *args, **kwargs):
        bucket = original.__func__(cls, *args, **kwargs)
        cloudformation_json = next(a for a in args if isinstance(a, dict))
        notifications = cloudformation_json.get("Properties", {}).get("NotificationConfiguration", {})
        enabled = notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled") in (True, "true")
        bucket.set_notification_configuration({"EventBridgeConfiguration": {}} if enabled else None)
        return bucket

    return classmethod(handler)


FakeBucket.create_from_cloudformation_json = _with_eventbridge(FakeBucket.create_from_cloudformation_json)
FakeBucket.update_from_cloudformation_json = _with_eventbridge(FakeBucket.update_from_cloudformation_json)
_get_bucket_notification = S3Response.get_bucket_notification


def _get_bucket_notification_with_eventbridge(self):
    status, headers, body = _get_bucket_notification(self)
    config = self.backend.get_bucket_notification_configuration(self.bucket_name)
    text = body.decode() if isinstance(body, bytes) else body
    if config is not None and config.event_bridge is not None and "EventBridgeConfiguration" not in text:
        end = "</NotificationConfiguration>"
        if end in text:
            text = text.replace(end, "<EventBridgeConfiguration/>" + end)
        else:
            # an empty answer: `<NotificationConfiguration/>`, or nothing
            text = '<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EventBridgeConfiguration/></NotificationConfiguration>'
        body = text.encode()
        headers = {k: v for k, v in dict(headers).items() if k.lower() != "content-length"}
    return status, headers, body


S3Response.get_bucket_notification = _get_bucket_notification_with_eventbridge


class StepFunctionsActivity(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::StepFunctions::Activity"
    ATTRIBUTES = {"Arn", "Name"}

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        activity = _sfn(account_id, region_name).create_activity(props["Name"])
        return cls(activity.arn, {"Arn": activity.arn, "Name": activity.name}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        _sfn(account_id, region_name).delete_activity(resource_name)


def _substituted(properties):
    """CloudFormation's DefinitionSubstitutions: each `${key}` of the definition replaced by its value."""
    definition = properties.get("DefinitionString", "")
    for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    return definition


def _sfn(account_id, region_name):
    """The backend the Step Functions API answers from: with execution turned on
    (`/moto-api/config`), moto's parser, which also checks definitions."""
    from moto.stepfunctions.responses import get_backend

    return get_backend(account_id, region_name)


def _settings(properties):
    """What CreateStateMachine takes besides the definition, as CloudFormation passes it."""
    return {
        "loggingConfiguration": _api_shape(properties["LoggingConfiguration"]) if "LoggingConfiguration" in properties else None,
        "tracingConfiguration": _api_shape(properties["TracingConfiguration"]) if "TracingConfiguration" in properties else None,
    }


def _create_machine(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json["Properties"]
    return _sfn(account_id, region_name).create_state_machine(
        properties.get("StateMachineName", resource_name),
        _substituted(properties),
        properties.get("RoleArn", ""),
        tags=cfn_to_api_tags(properties.get("Tags", [])),
        sm_type=properties.get("StateMachineType", "STANDARD"),
        **_settings(properties),
    )


def _update_machine(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    properties = cloudformation_json.get("Properties", {})
    backend = _sfn(account_id, region_name)
    if properties.get("StateMachineName", original_resource.name) != original_resource.name:
        backend.delete_state_machine(original_resource.arn)
        return _create_machine(cls, new_resource_name, cloudformation_json, account_id, region_name)
    settings = _settings(properties)
    return backend.update_state_machine(
        original_resource.arn,
        definition=_substituted(properties),
        role_arn=properties.get("RoleArn"),
        logging_configuration=settings["loggingConfiguration"],
        tracing_configuration=settings["tracingConfiguration"],
    )


def _delete_machine(cls, resource_name, cloudformation_json, account_id, region_name):
    _sfn(account_id, region_name).delete_state_machine(resource_name)


# moto's SendTaskFailure drops the request's `cause`.
def _send_task_failure(self):
    from moto.core.responses import EmptyResult

    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


StepFunctionResponse.send_task_failure = _send_task_failure

StateMachine.create_from_cloudformation_json = classmethod(_create_machine)
StateMachine.update_from_cloudformation_json = classmethod(_update_machine)
StateMachine.delete_from_cloudformation_json = classmethod(_delete_machine)


# moto does not recompute a stack's template and outputs after ExecuteChangeSet.
_execute_change_set = CloudFormationBackend.execute_change_set


def _execute_change_set_and_refresh(self, change_set_name, stack_name=None):
    _execute_change_set(self, change_set_name, stack_name)
    change_set = self.change_sets.get(change_set_name) or next(
        (c for c in self.change_sets.values() if c.change_set_name == change_set_name), None
    )
    if change_set is not None:
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.output_map = stack._create_output_map()


CloudFormationBackend.execute_change_set = _execute_change_set_and_refresh


def _apigw(account_id, region_name):
    return apigateway_backends[account_id][region_name]


class ApiGatewayStage(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        # moto's Deployment has no physical id: a Ref to it gives the object
        deployment = props["DeploymentId"]
        stage = _apigw(account_id, region_name).create_stage(
            props["RestApiId"],
            props["StageName"],
            deployment if isinstance(deployment, str) else deployment.id,
            description=props.get("Description", ""),
            tracing_enabled=props.get("TracingEnabled"),
        )
        return cls(stage.name, {}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        _apigw(account_id, region_name).delete_stage(props["RestApiId"], resource_name)


class ApiGatewayAuthorizer(_Handler, CloudFormationModel):
    # moto files models by the second part of their module name
    __module__ = "hoist_tests.extension"
    TYPE = "AWS::ApiGateway::Authorizer"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        authorizer = _apigw(account_id, region_name).create_authorizer(
            props["RestApiId"],
            props["Name"],
            props["Type"],
            provider_arns=props.get("ProviderARNs"),
            identity_source=props.get("IdentitySource"),
        )
        return cls(authorizer.id, {}, region_name, account_id, props)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        _apigw(account_id, region_name).delete_authorizer(props["RestApiId"], resource_name)


# moto's AWS::ApiGateway::Method keeps the method's type and its integration's
# URI only, and fails on a MOCK integration (which has no URI): keep its
# authorizer, and its integration's role, templates, passthrough behaviour
# and responses, and its method responses.
def _create_method(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]
    backend = _apigw(account_id, region_name)
    api, resource, verb = props["RestApiId"], props["ResourceId"], props["HttpMethod"]
    method = backend.put_method(
        function_id=api,
        resource_id=resource,
        method_type=verb,
        authorization_type=props["AuthorizationType"],
        api_key_required=props.get("ApiKeyRequired"),
        authorizer_id=props.get("AuthorizerId"),
    )
    integration = props["Integration"]
    backend.put_integration(
        api,
        resource,
        verb,
        integration["Type"],
        integration.get("Uri"),
        integration.get("IntegrationHttpMethod"),
        credentials=integration.get("Credentials"),
        request_templates=integration.get("RequestTemplates"),
        passthrough_behavior=integration.get("PassthroughBehavior"),
    )
    for response in integration.get("IntegrationResponses", []):
        backend.put_integration_response(
            api,
            resource,
            verb,
            response["StatusCode"],
            response.get("SelectionPattern"),
            response.get("ResponseTemplates"),
            response.get("ResponseParameters"),
        )
    for response in props.get("MethodResponses", []):
        backend.put_method_response(
            api, resource, verb, response["StatusCode"], response.get("ResponseModels"), response.get("ResponseParameters")
        )
    return method


ApiGatewayMethod.create_from_cloudformation_json = classmethod(_create_method)


# moto's EventBridge delivers to logs, archives, buses and queues, not to
# state machines: a rule whose pattern matches starts its machine's execution
# with the event as input, as EventBridge does.
def _send_to_targets(self, original_event, transform_input=True):
    machines = [t for t in self.targets if t["Arn"].split(":")[2] == "states"]
    others = [t for t in self.targets if t not in machines]
    if others:
        # moto's own targets (it refuses the kinds it does not know)
        targets, self.targets = self.targets, others
        try:
            _send_to_targets_of_moto(self, original_event, transform_input)
        finally:
            self.targets = targets
    # a scheduled rule has no pattern, and no bus event reaches it
    if not machines or self.scheduled_expression or not self.event_pattern.matches_event(original_event):
        return
    for target in machines:
        arn = target["Arn"]
        region, account = arn.split(":")[3], arn.split(":")[4]
        _sfn(account, region).start_execution(arn, name=str(uuid.uuid4()), execution_input=json.dumps(original_event, default=str))


_send_to_targets_of_moto = EventsRule.send_to_targets
EventsRule.send_to_targets = _send_to_targets


def main():
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
