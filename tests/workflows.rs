//! The workflow category: `hoist add workflow` from blueprints, the checks
//! made before anything is written and at synthesis (each at its line and
//! column), the role derived from the Task states, and (ignored by default:
//! scripts/test.sh installs npm's and moto's packages) the order fulfillment
//! functions' own tests and a human approval deployed to moto and driven
//! through its task token.

mod common;

use common::functions::{hoist, project};
use common::{Sandbox, flat, stderr_of};
use serde_json::{Value, json};

fn template(sb: &Sandbox, file: &str) -> Value {
    serde_json::from_str(&sb.read(&format!("shop/.hoist/build/dev/{file}"))).unwrap()
}

fn statements(t: &Value) -> Vec<Value> {
    t["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn failure(sb: &Sandbox, args: &[&str]) -> String {
    let out = sb.hoist_in(&sb.join("shop")).args(args).output().unwrap();
    let said = stderr_of(&out, sb);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
    said
}

/// A definition naming a function, a model's table, the bucket and another
/// workflow gets exactly those resources' statements, each on that resource;
/// its names become substitutions the root fills in from the other stacks.
#[test]
fn the_role_allows_exactly_what_the_task_states_use() {
    let sb = project();
    hoist(&sb, &["add", "auth", "--yes", "-q"]).success();
    sb.write("shop/schema.graphql", "type Order @model { id: ID! }\n");
    hoist(
        &sb,
        &["add", "api", "--schema", "schema.graphql", "--yes", "-q"],
    )
    .success();
    hoist(&sb, &["add", "storage", "--yes", "-q"]).success();
    sb.write(
        "shop/hoist/function/ship/src/index.ts",
        "export const handler = async () => ({});\n",
    );
    let mut toml = sb.read("shop/hoist.toml");
    toml.push_str("\n[function.ship]\nruntime = \"nodejs24.x\"\n");
    std::fs::write(sb.join("shop/hoist.toml"), toml).unwrap();
    hoist(
        &sb,
        &[
            "add",
            "workflow",
            "approval",
            "--blueprint",
            "human-approval",
            "--start-by",
            "signed-in",
            "--yes",
            "-q",
        ],
    )
    .success();
    hoist(
        &sb,
        &[
            "add",
            "workflow",
            "orders",
            "--blueprint",
            "blank",
            "--yes",
            "-q",
        ],
    )
    .success();
    sb.write(
        "shop/hoist/workflow/orders/definition.asl.json",
        r#"{
  "StartAt": "Ship",
  "States": {
    "Ship": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": { "FunctionName": "${function:ship}", "Payload.$": "$" }, "Next": "Read" },
    "Read": { "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
      "Parameters": { "TableName": "${table:Order}", "Key": { "id": { "S.$": "$.id" } } }, "Next": "Write" },
    "Write": { "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": { "TableName": "${table:Order}", "Item": { "id": { "S.$": "$.id" } } }, "Next": "Approve" },
    "Approve": { "Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
      "Parameters": { "StateMachineArn": "${workflow:approval}" }, "End": true }
  }
}
"#,
    );
    hoist(&sb, &["synth", "-q"]).success();
    let t = template(&sb, "workflow-orders.template.json");
    let sub = |s: &str| json!({ "Fn::Sub": s });
    let r = |s: &str| json!({ "Ref": s });
    let table = sub(
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ApiMainOrderTableName}",
    );
    assert_eq!(
        statements(&t),
        vec![
            json!({ "Sid": "InvokeShip", "Effect": "Allow", "Action": "lambda:InvokeFunction",
                "Resource": [r("FunctionShipArn"), sub("${FunctionShipArn}:*")] }),
            json!({ "Sid": "StartWorkflowApproval", "Effect": "Allow", "Action": "states:StartExecution",
                "Resource": r("WorkflowApprovalArn") }),
            json!({ "Sid": "TableOrder", "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": table }),
            json!({ "Sid": "DeliverLogs", "Effect": "Allow", "Action": [
                "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"], "Resource": "*" }),
            json!({ "Sid": "WriteTraces", "Effect": "Allow", "Action": [
                "xray:PutTraceSegments", "xray:PutTelemetryRecords",
                "xray:GetSamplingRules", "xray:GetSamplingTargets"], "Resource": "*" }),
        ]
    );
    let machine = &t["Resources"]["StateMachine"]["Properties"];
    assert_eq!(machine["StateMachineName"], sub("orders-${Env}"));
    assert_eq!(machine["StateMachineType"], "STANDARD");
    assert_eq!(
        machine["DefinitionSubstitutions"],
        json!({
            "FunctionShip": r("FunctionShipArn"),
            "TableOrder": r("ApiMainOrderTableName"),
            "WorkflowApproval": r("WorkflowApprovalArn"),
        })
    );
    let definition: Value =
        serde_json::from_str(machine["DefinitionString"].as_str().unwrap()).unwrap();
    assert_eq!(
        definition["States"]["Read"]["Parameters"]["TableName"],
        "${TableOrder}"
    );
    assert_eq!(machine["LoggingConfiguration"]["Level"], "ERROR");
    assert_eq!(
        machine["LoggingConfiguration"]["IncludeExecutionData"],
        false
    );
    assert_eq!(machine["TracingConfiguration"]["Enabled"], true);
    // the root passes the other stacks' outputs, so CloudFormation makes them first
    let root = template(&sb, "root.template.json");
    let parameters = &root["Resources"]["WorkflowOrders"]["Properties"]["Parameters"];
    assert_eq!(
        parameters["FunctionShipArn"],
        json!({ "Fn::GetAtt": ["FunctionShip", "Outputs.Arn"] })
    );
    assert_eq!(
        parameters["ApiMainOrderTableName"],
        json!({ "Fn::GetAtt": ["ApiMain", "Outputs.OrderTableName"] })
    );
    assert_eq!(
        parameters["WorkflowApprovalArn"],
        json!({ "Fn::GetAtt": ["WorkflowApproval", "Outputs.Arn"] })
    );
    // the approval publishes on its own topic only
    let approval = template(&sb, "workflow-approval.template.json");
    assert_eq!(
        statements(&approval)[0],
        json!({ "Sid": "PublishApprovals", "Effect": "Allow", "Action": "sns:Publish",
            "Resource": r("TopicApprovals") })
    );
    assert_eq!(
        approval["Resources"]["TopicApprovals"]["Type"],
        "AWS::SNS::Topic"
    );
    // signed-in users start it from the app: that action, on that machine,
    // on the identity pool's role for them
    assert_eq!(
        approval["Resources"]["StartPolicy"]["Properties"]["Roles"],
        json!([r("AuthRoleName")])
    );
    assert_eq!(
        approval["Resources"]["StartPolicy"]["Properties"]["PolicyDocument"]["Statement"],
        json!([{ "Sid": "StartFromTheApp", "Effect": "Allow",
            "Action": ["states:StartExecution"], "Resource": r("StateMachine") }])
    );
    assert_eq!(
        root["Resources"]["WorkflowApproval"]["Properties"]["Parameters"]["AuthRoleName"],
        r("AuthRole")
    );
    // who may start it is checked against the project's auth, at its line
    let said = flat(&failure(
        &sb,
        &[
            "add",
            "workflow",
            "gated",
            "--start-by",
            "group:Admins",
            "--yes",
        ],
    ));
    assert!(said.contains("has no group `Admins`"), "{said}");
    assert!(
        said.contains("hoist update auth main --group Admins"),
        "{said}"
    );
    let said = flat(&failure(
        &sb,
        &[
            "add",
            "workflow",
            "gated",
            "--start-by",
            "everyone",
            "--yes",
        ],
    ));
    assert!(said.contains("is not who may start a workflow"), "{said}");
    assert!(!sb.join("shop/hoist/workflow/gated").exists());
}

/// What a definition must not do is refused with its place in the file and
/// the way out, before anything is written (add) or deployed (synth).
#[test]
fn bad_definitions_are_refused_at_their_place() {
    let sb = project();
    let toml = sb.read("shop/hoist.toml");
    // a blueprint that waits cannot be Express: nothing is written
    let said = flat(&failure(
        &sb,
        &[
            "add",
            "workflow",
            "quick",
            "--blueprint",
            "human-approval",
            "--type",
            "express",
            "--yes",
        ],
    ));
    assert!(
        said.contains("an Express workflow cannot use `.waitForTaskToken`"),
        "{said}"
    );
    assert!(
        said.contains("hoist/workflow/quick/definition.asl.json"),
        "{said}"
    );
    assert!(said.contains("type = \"standard\""), "{said}");
    assert_eq!(sb.read("shop/hoist.toml"), toml);
    assert!(!sb.join("shop/hoist/workflow/quick").exists());

    hoist(
        &sb,
        &[
            "add",
            "workflow",
            "flow",
            "--blueprint",
            "blank",
            "--yes",
            "-q",
        ],
    )
    .success();
    // a name taken, in any case
    let said = failure(&sb, &["add", "workflow", "Flow", "--yes"]);
    assert!(said.contains("already has workflow `flow`"), "{said}");
    // an unknown function, a Task hoist cannot grant, a dynamic function name
    sb.write(
        "shop/hoist/workflow/flow/definition.asl.json",
        r#"{
  "StartAt": "A",
  "States": {
    "A": { "Type": "Task", "Resource": "${function:nope}", "Next": "B" },
    "B": { "Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "Next": "C" },
    "C": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": { "FunctionName.$": "$.which" }, "End": true }
  }
}
"#,
    );
    let said = flat(&failure(&sb, &["synth"]));
    assert!(
        said.contains("the project has no function `nope` (it has none)"),
        "{said}"
    );
    assert!(said.contains("hoist add function nope"), "{said}");
    assert!(
        said.contains("hoist cannot give this workflow's role what `ecs:runTask` needs"),
        "{said}"
    );
    assert!(
        said.contains("`FunctionName.$` is chosen at run time"),
        "{said}"
    );
    // miette's excerpt shows the lines, with their numbers
    assert!(said.contains("definition.asl.json:4:"), "{said}");
    assert!(said.contains("definition.asl.json:5:"), "{said}");
    // the engine's own checks run first
    sb.write(
        "shop/hoist/workflow/flow/definition.asl.json",
        "{ \"StartAt\": \"Missing\", \"States\": { \"A\": { \"Type\": \"Pass\", \"End\": true } } }\n",
    );
    let said = failure(&sb, &["synth"]);
    assert!(said.contains("Missing"), "{said}");
    std::fs::remove_file(sb.join("shop/hoist/workflow/flow/definition.asl.json")).unwrap();
    let said = flat(&failure(&sb, &["synth"]));
    assert!(
        said.contains("the workflow `flow` has no definition") && said.contains("is missing"),
        "{said}"
    );
    // hoist.toml's own checks, at their line
    let mut edited = sb.read("shop/hoist.toml");
    edited.push_str("\n[workflow.other]\ntopics = [\"ok\", \"OK\"]\n");
    std::fs::write(sb.join("shop/hoist.toml"), edited).unwrap();
    let said = flat(&failure(&sb, &["synth"]));
    assert!(said.contains("`OK` is in `topics` twice"), "{said}");
    assert!(said.contains("hoist.toml:"), "{said}");
}

/// `hoist remove workflow` forgets it (its definition stays, as a function's source does).
#[test]
fn remove_forgets_the_workflow_and_keeps_its_definition() {
    let sb = project();
    hoist(
        &sb,
        &[
            "add",
            "workflow",
            "flow",
            "--blueprint",
            "blank",
            "--yes",
            "-q",
        ],
    )
    .success();
    assert!(sb.read("shop/hoist.toml").contains("[workflow.flow]"));
    // a workflow that names another keeps it (and a function it calls)
    hoist(
        &sb,
        &[
            "add",
            "workflow",
            "parent",
            "--blueprint",
            "blank",
            "--yes",
            "-q",
        ],
    )
    .success();
    sb.write(
        "shop/hoist/workflow/parent/definition.asl.json",
        r#"{ "StartAt": "Child", "States": { "Child": { "Type": "Task",
  "Resource": "arn:aws:states:::states:startExecution", "Parameters": { "StateMachineArn": "${workflow:flow}" }, "End": true } } }"#,
    );
    let said = flat(&failure(&sb, &["remove", "workflow", "flow", "--yes"]));
    assert!(
        said.contains("workflow `flow` cannot be removed: it is needed by workflow `parent`"),
        "{said}"
    );
    assert!(said.contains("stop naming `${workflow:flow}`"), "{said}");
    // and the api whose tables it names
    hoist(&sb, &["add", "api", "--auth", "api-key", "--yes", "-q"]).success();
    sb.write(
        "shop/hoist/workflow/parent/definition.asl.json",
        r#"{ "StartAt": "Read", "States": { "Read": { "Type": "Task",
  "Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": { "TableName": "${table:Todo}", "Key": {} }, "End": true } } }"#,
    );
    let said = flat(&failure(&sb, &["remove", "api", "--yes"]));
    assert!(
        said.contains("api `main` cannot be removed: it is needed by workflow `parent`"),
        "{said}"
    );
    hoist(&sb, &["remove", "workflow", "parent", "--yes", "-q"]).success();
    // a function may start it: by the ARN its name makes, with that one action
    sb.write(
        "shop/hoist/function/starter/src/index.ts",
        "export const handler = async () => ({});\n",
    );
    let mut toml = sb.read("shop/hoist.toml");
    toml.push_str(
        "\n[function.starter]\nruntime = \"nodejs24.x\"\naccess = [\"workflow:flow:start\"]\n",
    );
    std::fs::write(sb.join("shop/hoist.toml"), toml).unwrap();
    hoist(&sb, &["synth", "-q"]).success();
    let f = template(&sb, "function-starter.template.json");
    let arn = json!({ "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:flow-${Env}" });
    assert_eq!(
        f["Resources"]["Function"]["Properties"]["Environment"]["Variables"]["WORKFLOW_FLOW_STATEMACHINEARN"],
        arn
    );
    assert!(
        statements(&f).contains(&json!({ "Sid": "WorkflowFlowStart", "Effect": "Allow",
            "Action": "states:StartExecution", "Resource": arn })),
        "{f:#}"
    );
    let said = flat(&failure(&sb, &["remove", "workflow", "flow", "--yes"]));
    assert!(
        said.contains("it is needed by function `starter`"),
        "{said}"
    );
    hoist(
        &sb,
        &[
            "update",
            "function",
            "starter",
            "--remove-access",
            "workflow:flow:start",
            "-q",
        ],
    )
    .success();
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["remove", "workflow", "flow", "--yes"])
        .output()
        .unwrap();
    let said = stderr_of(&out, &sb);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("the state machine"), "{said}");
    assert!(!sb.read("shop/hoist.toml").contains("[workflow.flow]"));
    assert!(
        sb.join("shop/hoist/workflow/flow/definition.asl.json")
            .exists()
    );
}

/// `hoist update workflow`: flags set the type and log level, add and
/// remove who starts it and its triggers; the definition is checked with the
/// new settings and hoist.toml with the project before anything is written,
/// each refusal saying what and how to fix it.
#[test]
fn update_changes_what_starts_it_and_refuses_what_cannot_hold() {
    let sb = project();
    hoist(&sb, &["add", "auth", "--yes", "-q"]).success();
    hoist(
        &sb,
        &[
            "add",
            "workflow",
            "approval",
            "--blueprint",
            "human-approval",
            "--start-by",
            "signed-in",
            "--trigger",
            "api",
            "--yes",
            "-q",
        ],
    )
    .success();
    let before = sb.read("shop/hoist.toml");
    let refused = |args: &[&str]| {
        let mut all = vec!["update", "workflow", "approval"];
        all.extend_from_slice(args);
        let said = flat(&failure(&sb, &all));
        assert_eq!(sb.read("shop/hoist.toml"), before, "{args:?} wrote");
        said
    };
    // the definition waits for a token: it cannot become Express
    let said = refused(&["--type", "express"]);
    assert!(
        said.contains("an Express workflow cannot use `.waitForTaskToken`")
            && said.contains("definition.asl.json:7:19"),
        "{said}"
    );
    let said = refused(&["--remove-start-by", "guests"]);
    assert!(
        said.contains("`guests` is not one of the workflow's")
            && said.contains("it has: signed-in"),
        "{said}"
    );
    let said = refused(&["--blueprint", "blank"]);
    assert!(
        said.contains("a blueprint only starts a new workflow"),
        "{said}"
    );
    let said = refused(&["--start-by", "group:Admins"]);
    assert!(
        said.contains("the auth `main` has no group `Admins`")
            && said.contains("hoist update auth main --group Admins"),
        "{said}"
    );
    let said = refused(&["--trigger", "event"]);
    assert!(
        said.contains("`--trigger event` needs --event-pattern"),
        "{said}"
    );
    let said = refused(&["--schedule", "rate(1 days)"]);
    assert!(said.contains("rate(1 day)"), "{said}");

    hoist(
        &sb,
        &[
            "update",
            "workflow",
            "approval",
            "--no-api",
            "--remove-start-by",
            "signed-in",
            "--log-level",
            "error",
            "--schedule",
            "rate(1 day)",
            "-q",
        ],
    )
    .success();
    // the same schedule again is not a second rule
    hoist(
        &sb,
        &["update", "workflow", "--schedule", "rate(1 day)", "-q"],
    )
    .success();
    let toml = sb.read("shop/hoist.toml");
    let section = toml.split("[workflow.approval]").nth(1).unwrap();
    assert!(section.contains("log_level = \"ERROR\""), "{toml}");
    assert!(section.contains("schedules = [\"rate(1 day)\"]"), "{toml}");
    assert!(
        !section.contains("api =") && !section.contains("start_by"),
        "{toml}"
    );
    hoist(&sb, &["synth", "-q"]).success();
    let t = template(&sb, "workflow-approval.template.json");
    let resources = t["Resources"].as_object().unwrap();
    assert!(resources.contains_key("Schedule0") && !resources.contains_key("Schedule1"));
    assert!(!resources.contains_key("Api") && !resources.contains_key("StartPolicy"));
    let said = flat(&failure(
        &sb,
        &["update", "workflow", "approval", "--no-api"],
    ));
    assert!(said.contains("has no REST endpoint"), "{said}");

    // an endpoint keeps its authorization when the trigger is named again
    hoist(
        &sb,
        &["update", "workflow", "approval", "--api-auth", "iam", "-q"],
    )
    .success();
    hoist(
        &sb,
        &["update", "workflow", "approval", "--trigger", "api", "-q"],
    )
    .success();
    let toml = sb.read("shop/hoist.toml");
    assert!(toml.contains("api = \"iam\""), "{toml}");
    let said = flat(&failure(
        &sb,
        &[
            "update",
            "workflow",
            "approval",
            "--no-api",
            "--trigger",
            "api",
        ],
    ));
    assert!(
        said.contains("`--no-api` removes the endpoint `--trigger api` asks for"),
        "{said}"
    );
}

/// The order fulfillment blueprint's functions pass their own tests and
/// type checks with npm, as `hoist add workflow` writes them; deployed to
/// moto (whose Step Functions parser checks the definition), the machine
/// names their ARNs and its role invokes only them.
#[test]
#[ignore = "needs the npm registry (tsx, typescript, esbuild) and moto (PyPI); run by scripts/test.sh"]
fn order_fulfillment_functions_pass_their_own_tests() {
    let sb = project();
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-cache");
    let out = sb
        .hoist_in(&sb.join("shop"))
        .env("npm_config_cache", &cache)
        .args([
            "add",
            "workflow",
            "orders",
            "--blueprint",
            "order-fulfillment",
            "--yes",
        ])
        .output()
        .unwrap();
    let said = stderr_of(&out, &sb);
    assert!(out.status.success(), "{said}");
    for function in [
        "checkStock",
        "chargeCard",
        "reserveStock",
        "compensateOrder",
    ] {
        assert!(
            said.contains(&format!("hoist/function/{function}/")),
            "{said}"
        );
        passes_its_own_checks(&sb, function, &cache);
    }
    // deployed: the definition names the functions' ARNs, and the role may
    // invoke those four (and their versions) and nothing else
    let moto = common::moto::Moto::start();
    moto.execute_state_machines();
    let out = moto
        .hoist(&sb)
        .env("npm_config_cache", &cache)
        .args(["push", "--yes", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let seen = moto.script("sfn_machine.py", &["us-east-1", "orders-dev"]);
    let lambda = |f: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:{f}-dev");
    assert_eq!(
        seen["definition"]["States"]["CheckStock"]["Parameters"]["FunctionName"],
        lambda("checkStock"),
        "{seen:#}"
    );
    let branches = &seen["definition"]["States"]["ChargeAndReserve"]["Branches"];
    assert_eq!(
        branches[0]["States"]["ChargeCard"]["Parameters"]["FunctionName"],
        lambda("chargeCard")
    );
    let statements = seen["policies"]["workflow"]["Statement"]
        .as_array()
        .unwrap();
    let invoked: Vec<(String, Value)> = statements
        .iter()
        .filter(|s| s["Action"] == "lambda:InvokeFunction")
        .map(|s| {
            (
                s["Sid"].as_str().unwrap().to_string(),
                s["Resource"].clone(),
            )
        })
        .collect();
    assert_eq!(
        invoked,
        [
            "chargeCard",
            "checkStock",
            "compensateOrder",
            "reserveStock"
        ]
        .map(|f| {
            let sid = format!("Invoke{}{}", f[..1].to_uppercase(), &f[1..]);
            (sid, json!([lambda(f), format!("{}:*", lambda(f))]))
        })
        .to_vec()
    );
    let others: Vec<&str> = statements
        .iter()
        .filter(|s| s["Action"] != "lambda:InvokeFunction")
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(others, ["DeliverLogs", "WriteTraces"]);
}

/// The data processing blueprint's functions pass their own tests and type
/// checks, as `hoist add workflow` writes them; deployed to moto, the
/// distributed Map reads and writes the storage stack's bucket, and the
/// role lists that bucket, writes only under `workflow-results/`, starts and
/// watches the machine's own children and invokes the two functions:
/// nothing else.
/// Without storage the blueprint is refused, and nothing is written.
#[test]
#[ignore = "needs the npm registry (tsx, typescript, esbuild) and moto (PyPI); run by scripts/test.sh"]
fn data_processing_functions_pass_their_own_tests_and_deploy() {
    let sb = project();
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-cache");
    let add = || {
        sb.hoist_in(&sb.join("shop"))
            .env("npm_config_cache", &cache)
            .args([
                "add",
                "workflow",
                "data",
                "--blueprint",
                "data-processing",
                "--yes",
            ])
            .output()
            .unwrap()
    };
    let refused = add();
    assert!(!refused.status.success());
    let said = stderr_of(&refused, &sb);
    assert!(
        said.contains("the project has no storage") && said.contains("hoist add storage"),
        "{said}"
    );
    assert!(!sb.join("shop/hoist/workflow/data").exists());
    assert!(!sb.join("shop/hoist/function/cleanRecord").exists());
    hoist(&sb, &["add", "auth", "--yes", "-q"]).success();
    hoist(&sb, &["add", "storage", "--yes", "-q"]).success();
    let out = add();
    let said = stderr_of(&out, &sb);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("its bucket: the storage `files`"), "{said}");
    for function in ["cleanRecord", "summarizeObjects"] {
        passes_its_own_checks(&sb, function, &cache);
    }
    // moto's ASL parser (run when it executes machines) predates ItemBatcher
    // and refuses it; the machine is deployed without it
    let moto = common::moto::Moto::start();
    let out = moto
        .hoist(&sb)
        .env("npm_config_cache", &cache)
        .args(["push", "--yes", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let seen = moto.script("sfn_machine.py", &["us-east-1", "data-dev"]);
    let map = &seen["definition"]["States"]["SummarizeObjects"];
    let bucket = map["ItemReader"]["Parameters"]["Bucket"].as_str().unwrap();
    let outputs: Value = serde_json::from_str(&sb.read("shop/src/amplify_outputs.json")).unwrap();
    assert_eq!(outputs["storage"]["bucket_name"], bucket, "{seen:#}");
    assert_eq!(map["ResultWriter"]["Parameters"]["Bucket"], bucket);
    let statements = seen["policies"]["workflow"]["Statement"]
        .as_array()
        .unwrap();
    let sids: Vec<&str> = statements
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        [
            "InvokeCleanRecord",
            "InvokeSummarizeObjects",
            "MapStartsItsChildren",
            "MapWatchesItsChildren",
            "ListFiles",
            "ObjectsFiles",
            "DeliverLogs",
            "WriteTraces"
        ],
        "{seen:#}"
    );
    let of = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).unwrap();
    assert_eq!(
        of("ListFiles")["Resource"],
        format!("arn:aws:s3:::{bucket}")
    );
    assert_eq!(
        of("ObjectsFiles")["Resource"],
        format!("arn:aws:s3:::{bucket}/workflow-results/*")
    );
    assert_eq!(
        of("MapStartsItsChildren")["Resource"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:data-dev"
    );
}

/// The human approval blueprint deployed to moto: the machine's definition
/// has its topic's ARN, its type, logging and tracing; its role publishes on
/// that topic only; an execution publishes the request with its task token,
/// waits, and goes on when approved or fails as `Rejected` when refused.
#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn human_approval_waits_for_its_task_token_in_moto() {
    let moto = common::moto::Moto::start();
    moto.execute_state_machines();
    let sb = project();
    let run = |args: &[&str]| {
        let out = moto.hoist(&sb).args(args).output().unwrap();
        let said = stderr_of(&out, &sb);
        assert!(out.status.success(), "hoist {args:?}: {said}");
    };
    run(&[
        "add",
        "workflow",
        "approval",
        "--blueprint",
        "human-approval",
        "--yes",
        "-q",
    ]);
    run(&["push", "--yes", "-q"]);
    let outputs: Value = serde_json::from_str(&sb.read("shop/src/amplify_outputs.json")).unwrap();
    let arn = outputs["custom"]["workflows"]["approval"]["state_machine_arn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(arn.ends_with(":stateMachine:approval-dev"), "{outputs:#}");
    let seen = moto.script("sfn_approval.py", &["us-east-1", "approval-dev"]);
    let topic = seen["topic"].as_str().unwrap();
    assert!(topic.starts_with("arn:aws:sns:us-east-1:"), "{seen:#}");
    assert_eq!(seen["machine"]["type"], "STANDARD");
    assert_eq!(seen["machine"]["logging"]["level"], "ERROR");
    assert_eq!(seen["machine"]["tracing"]["enabled"], true);
    let statement = &seen["machine"]["policies"]["workflow"]["Statement"][0];
    assert_eq!(statement["Action"], "sns:Publish", "{seen:#}");
    assert_eq!(statement["Resource"], topic);
    let approve = &seen["executions"]["approve"];
    assert_eq!(approve["status_while_waiting"], "RUNNING", "{seen:#}");
    assert!(
        approve["message"].as_str().unwrap().contains("a laptop"),
        "{seen:#}"
    );
    assert_eq!(approve["status"], "SUCCEEDED", "{seen:#}");
    assert_eq!(approve["output"]["decision"]["approved"], true);
    let reject = &seen["executions"]["reject"];
    assert_eq!(reject["status"], "FAILED", "{seen:#}");
    assert_eq!(reject["error"], "Rejected", "{seen:#}");
    // the Fail state's CausePath reads the Catch's `$.error.Cause`
    assert_eq!(reject["failed"]["cause"], "too expensive", "{seen:#}");
}

/// The deployed human approval, operated with hoist's own commands against
/// moto: start by name, list, describe, history (drawn by `graph
/// --execution`), answered with `send-success` from the token its topic
/// carried, stopped; unknown executions, stale tokens and bad input named.
#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn deployed_workflows_are_started_watched_and_answered_by_name() {
    let moto = common::moto::Moto::start();
    moto.execute_state_machines();
    let sb = project();
    let hoist_at = |args: &[&str]| moto.hoist(&sb).args(args).output().unwrap();
    let ok = |args: &[&str]| -> Value {
        let out = hoist_at(args);
        assert!(
            out.status.success(),
            "hoist {args:?}: {}",
            stderr_of(&out, &sb)
        );
        if args.contains(&"--json") {
            serde_json::from_slice(&out.stdout).unwrap()
        } else {
            Value::String(stderr_of(&out, &sb))
        }
    };
    let fails = |args: &[&str]| -> String {
        let out = hoist_at(args);
        let said = flat(&stderr_of(&out, &sb));
        assert_eq!(out.status.code(), Some(1), "hoist {args:?}: {said}");
        said
    };
    ok(&[
        "add",
        "workflow",
        "approval",
        "--blueprint",
        "human-approval",
        "--yes",
        "-q",
    ]);
    // not deployed yet: said so, with the way
    let said = fails(&["workflow", "start", "approval"]);
    assert!(said.contains("`approval-dev` is not deployed"), "{said}");
    assert!(said.contains("hoist push --env dev"), "{said}");
    ok(&[
        "add",
        "workflow",
        "slow",
        "--blueprint",
        "blank",
        "--yes",
        "-q",
    ]);
    ok(&[
        "add",
        "workflow",
        "quick",
        "--blueprint",
        "blank",
        "--type",
        "express",
        "--yes",
        "-q",
    ]);
    sb.write(
        "shop/hoist/workflow/slow/definition.asl.json",
        r#"{ "StartAt": "Nap", "States": { "Nap": { "Type": "Wait", "Seconds": 600, "End": true } } }"#,
    );
    ok(&["push", "--yes", "-q"]);
    ok(&["workflow", "start", "slow", "--name", "nap-1"]);
    let machine = moto.script("sfn_machine.py", &["us-east-1", "approval-dev"]);
    let topic = machine["definition"]["States"]["AskForApproval"]["Parameters"]["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    moto.script("sns_inbox.py", &["us-east-1", "subscribe", &topic]);

    let started = ok(&[
        "workflow",
        "start",
        "approval",
        "--name",
        "req-1",
        "--input",
        r#"{"request": {"what": "a desk"}}"#,
        "--json",
    ]);
    assert_eq!(started["name"], "req-1", "{started:#}");
    assert_eq!(started["status"], "RUNNING");
    let listed = ok(&["workflow", "list", "--json"]);
    assert_eq!(listed["workflows"][0]["name"], "approval", "{listed:#}");
    assert_eq!(listed["workflows"][0]["deployed"], true, "{listed:#}");
    assert_eq!(listed["workflows"][0]["executions"][0]["name"], "req-1");
    // hoist.toml's order: approval, quick (Express: no executions kept), slow
    assert_eq!(listed["workflows"][1]["type"], "EXPRESS", "{listed:#}");
    assert!(listed["workflows"][1]["executions"].is_null(), "{listed:#}");
    assert_eq!(listed["workflows"][2]["executions"][0]["status"], "RUNNING");
    let said = fails(&["workflow", "history", "quick", "any"]);
    assert!(said.contains("`quick` is an Express workflow"), "{said}");
    assert!(said.contains("/aws/vendedlogs/states/quick-"), "{said}");
    let inbox = moto.script("sns_inbox.py", &["us-east-1", "receive"]);
    assert!(
        inbox["body"].as_str().unwrap().contains("a desk"),
        "{inbox:#}"
    );
    let token = inbox["token"].as_str().unwrap();
    let described = ok(&["workflow", "describe", "approval", "req-1", "--json"]);
    assert_eq!(described["status"], "RUNNING", "{described:#}");
    ok(&["workflow", "send-heartbeat", "--token", token]);
    ok(&[
        "workflow",
        "send-success",
        "--token",
        token,
        "--output",
        r#"{"approved": true}"#,
    ]);
    let ended_in = |workflow: &str, execution: &str| {
        let mut described = Value::Null;
        for _ in 0..30 {
            described = ok(&["workflow", "describe", workflow, execution, "--json"]);
            if described["status"] != "RUNNING" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        described
    };
    let described = ended_in("approval", "req-1");
    assert_eq!(described["status"], "SUCCEEDED", "{described:#}");
    assert_eq!(described["output"]["decision"]["approved"], true);
    // its history, drawn
    let history = ok(&["workflow", "history", "approval", "req-1", "--json"]);
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"ExecutionStarted"), "{history:#}");
    assert_eq!(kinds.last(), Some(&"ExecutionSucceeded"), "{history:#}");
    assert!(kinds.contains(&"TaskStateEntered"), "{kinds:?}");
    sb.write("shop/run.json", &history.to_string());
    let drawn = sb
        .hoist_in(&sb.join("shop"))
        .args([
            "workflow",
            "graph",
            "hoist/workflow/approval/definition.asl.json",
            "--execution",
            "run.json",
            "--format",
            "mermaid",
        ])
        .output()
        .unwrap();
    assert!(drawn.status.success(), "{}", stderr_of(&drawn, &sb));
    let mermaid = String::from_utf8_lossy(&drawn.stdout);
    assert!(mermaid.contains("AskForApproval"), "{mermaid}");
    assert!(mermaid.contains("succeeded"), "{mermaid}");
    // the token is spent now
    let said = fails(&["workflow", "send-success", "--token", token]);
    assert!(said.contains("SendTaskSuccess failed"), "{said}");

    // a slow execution, stopped (moto cannot stop one waiting for a token)
    let described = ended_in("slow", "nap-1");
    assert_eq!(described["status"], "RUNNING", "{described:#}");
    ok(&[
        "workflow",
        "stop",
        "slow",
        "nap-1",
        "--error",
        "Withdrawn",
        "--cause",
        "no longer needed",
    ]);
    let described = ended_in("slow", "nap-1");
    assert_eq!(described["status"], "ABORTED", "{described:#}");

    let said = fails(&["workflow", "describe", "approval", "nope"]);
    assert!(
        said.contains("`approval-dev` has no execution `nope`"),
        "{said}"
    );
    assert!(said.contains("hoist workflow list"), "{said}");
    let said = fails(&["workflow", "start", "approval", "--input", "{not json"]);
    assert!(said.contains("invalid value for `--input`"), "{said}");
    let said = fails(&["workflow", "start", "other"]);
    assert!(said.contains("there is no workflow `other`"), "{said}");
}

/// `--trigger` and its settings: a REST endpoint, an event pattern and a
/// schedule land in hoist.toml and the stack, each kind reaching the machine
/// through a role that may start it and nothing else; a trigger without its
/// setting, a schedule or pattern EventBridge would refuse, and a user pool
/// endpoint without auth are refused (as a flag, or at their line in
/// hoist.toml), with nothing written.
#[test]
fn triggers_are_written_checked_and_synthesized() {
    let sb = project();
    let said = flat(&failure(
        &sb,
        &[
            "add",
            "workflow",
            "orders",
            "--trigger",
            "schedule",
            "--yes",
        ],
    ));
    assert!(
        said.contains("`--trigger schedule` needs --schedule"),
        "{said}"
    );
    let said = flat(&failure(
        &sb,
        &[
            "add",
            "workflow",
            "orders",
            "--schedule",
            "rate(1 days)",
            "--yes",
        ],
    ));
    assert!(
        said.contains("EventBridge wants the singular with 1 (`rate(1 day)`)"),
        "{said}"
    );
    let said = flat(&failure(
        &sb,
        &[
            "add",
            "workflow",
            "orders",
            "--event-pattern",
            r#"{"source": "app.orders"}"#,
            "--yes",
        ],
    ));
    assert!(said.contains("`source` is \"app.orders\""), "{said}");
    let said = flat(&failure(
        &sb,
        &[
            "add",
            "workflow",
            "orders",
            "--api-auth",
            "user-pool",
            "--yes",
        ],
    ));
    assert!(said.contains("the project has no auth"), "{said}");
    assert!(!sb.join("shop/hoist/workflow/orders").exists());
    assert!(!sb.read("shop/hoist.toml").contains("[workflow.orders]"));

    hoist(&sb, &["add", "auth", "--yes", "-q"]).success();
    hoist(
        &sb,
        &[
            "add",
            "workflow",
            "orders",
            "--type",
            "express",
            "--trigger",
            "api",
            "--schedule",
            "rate(1 day)",
            "--event-pattern",
            r#"{"source": ["app.orders"]}"#,
            "--yes",
            "-q",
        ],
    )
    .success();
    let toml = sb.read("shop/hoist.toml");
    assert!(toml.contains("api = \"user-pool\""), "{toml}");
    assert!(toml.contains("schedules = [\"rate(1 day)\"]"), "{toml}");
    hoist(&sb, &["synth", "-q"]).success();
    let t = template(&sb, "workflow-orders.template.json");
    let r = &t["Resources"];
    for role in ["ApiRole", "EventsRole"] {
        let statements = &r[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(statements.as_array().unwrap().len(), 1, "{role}");
        assert_eq!(
            statements[0]["Resource"],
            json!({ "Ref": "StateMachine" }),
            "{role}"
        );
    }
    // an Express machine's endpoint waits for its end
    assert_eq!(
        r["ApiRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"],
        "states:StartSyncExecution"
    );
    assert_eq!(
        r["StartMethod"]["Properties"]["AuthorizationType"],
        "COGNITO_USER_POOLS"
    );
    assert_eq!(
        r["Schedule0"]["Properties"]["ScheduleExpression"],
        "rate(1 day)"
    );
    assert_eq!(
        r["EventRule0"]["Properties"]["EventPattern"],
        json!({ "source": ["app.orders"] })
    );
    // the root gives the stack the user pool's ARN
    let root = template(&sb, "root.template.json");
    let params = &root["Resources"]["WorkflowOrders"]["Properties"]["Parameters"];
    assert_eq!(
        params["UserPoolArn"],
        json!({ "Fn::GetAtt": ["AuthMain", "Outputs.UserPoolArn"] }),
        "{params:#}"
    );

    // hoist.toml's own check, at its line; and auth stays while the endpoint needs it
    let said = flat(&failure(&sb, &["remove", "auth", "--yes"]));
    assert!(said.contains("workflow `orders` (its `api`)"), "{said}");
    let edited = toml.replace("rate(1 day)", "cron(0 12 * * *)");
    std::fs::write(sb.join("shop/hoist.toml"), edited).unwrap();
    let said = flat(&failure(&sb, &["synth"]));
    assert!(said.contains("has 5 fields"), "{said}");
    assert!(said.contains("hoist.toml:"), "{said}");
}

/// What starts a workflow, deployed to moto and read back through the AWS
/// APIs: `POST /workflows/orders` integrated with `StartExecution` through a
/// role that may start this machine only, behind the user pool's authorizer,
/// on the environment's stage, its base URL in amplify_outputs.json; an
/// EventBridge rule and a schedule on the machine, through a role of their
/// own. Then moto's EventBridge judges the pattern: of two events put on the
/// default bus, the one it matches starts an execution with the event as
/// input, the other none. A workflow that waits for task tokens gets
/// `task-success` and `task-failure` paths on its endpoint, integrated with
/// `SendTaskSuccess` and `SendTaskFailure` through a role that may only
/// answer tokens, their paths in amplify_outputs.json.
#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn triggers_deploy_and_an_event_starts_the_workflow_in_moto() {
    let moto = common::moto::Moto::start();
    moto.execute_state_machines();
    let sb = project();
    let run = |args: &[&str]| {
        let out = moto.hoist(&sb).args(args).output().unwrap();
        let said = stderr_of(&out, &sb);
        assert!(out.status.success(), "hoist {args:?}: {said}");
    };
    run(&["add", "auth", "--yes", "-q"]);
    run(&[
        "add",
        "workflow",
        "orders",
        "--trigger",
        "api",
        "--schedule",
        "rate(1 hour)",
        "--event-pattern",
        r#"{"source": ["app.orders"]}"#,
        "--yes",
        "-q",
    ]);
    run(&["push", "--yes", "-q"]);
    let outputs: Value = serde_json::from_str(&sb.read("shop/src/amplify_outputs.json")).unwrap();
    let api = &outputs["custom"]["workflows"]["orders"]["api"];
    assert_eq!(api["path"], "/workflows/orders", "{outputs:#}");
    assert_eq!(api["authorization_type"], "COGNITO_USER_POOLS");
    let endpoint = api["endpoint"].as_str().unwrap();
    assert!(
        endpoint.starts_with("https://")
            && endpoint.ends_with(".execute-api.us-east-1.amazonaws.com/dev"),
        "{endpoint}"
    );
    let seen = moto.script("sfn_triggers.py", &["us-east-1", "orders", "orders-dev"]);
    let machine = seen["machine"].as_str().unwrap();
    let api = &seen["api"];
    assert_eq!(api["methods"], json!(["OPTIONS", "POST"]), "{seen:#}");
    assert_eq!(api["authorization"], "COGNITO_USER_POOLS");
    assert_eq!(api["authorizers"][0]["type"], "COGNITO_USER_POOLS");
    assert_eq!(api["authorizer"], api["authorizers"][0]["id"]);
    let pool = api["authorizers"][0]["providers"][0].as_str().unwrap();
    assert!(
        pool.starts_with("arn:aws:cognito-idp:us-east-1:"),
        "{seen:#}"
    );
    assert_eq!(
        api["uri"],
        "arn:aws:apigateway:us-east-1:states:action/StartExecution"
    );
    assert_eq!(api["passthrough"], "NEVER");
    let template = api["request_templates"]["application/json"]
        .as_str()
        .unwrap();
    assert!(
        template.contains(&format!("\"stateMachineArn\": \"{machine}\"")),
        "{template}"
    );
    assert_eq!(api["responses"], json!(["200", "400", "500"]));
    assert_eq!(api["stages"], json!([{ "name": "dev", "tracing": true }]));
    let only_this_machine = |role: &Value, service: &str| {
        assert_eq!(
            role["trust"][0]["Principal"]["Service"], service,
            "{role:#}"
        );
        let policies = role["policies"].as_object().unwrap();
        assert_eq!(policies.len(), 1, "{role:#}");
        let statements = policies.values().next().unwrap().as_array().unwrap();
        assert_eq!(statements.len(), 1, "{role:#}");
        assert_eq!(statements[0]["Action"], "states:StartExecution", "{role:#}");
        assert_eq!(statements[0]["Resource"], machine, "{role:#}");
    };
    only_this_machine(&api["role"], "apigateway.amazonaws.com");
    let rules = seen["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{seen:#}");
    let pattern = rules.iter().find(|r| !r["pattern"].is_null()).unwrap();
    assert_eq!(pattern["pattern"], json!({ "source": ["app.orders"] }));
    let schedule = rules.iter().find(|r| !r["schedule"].is_null()).unwrap();
    assert_eq!(schedule["schedule"], "rate(1 hour)");
    for rule in rules {
        assert_eq!(rule["state"], "ENABLED");
        only_this_machine(&rule["role"], "events.amazonaws.com");
    }
    let started = seen["started"].as_array().unwrap();
    assert_eq!(started.len(), 1, "{seen:#}");
    assert_eq!(started[0]["source"], "app.orders");
    assert_eq!(started[0]["detail"]["orderId"], "o-1");
    assert_eq!(
        seen["api"]["answers"],
        json!({}),
        "orders waits for no token"
    );

    // a workflow that waits for task tokens is answered through its endpoint
    run(&[
        "add",
        "workflow",
        "approval",
        "--blueprint",
        "human-approval",
        "--trigger",
        "api",
        "--api-auth",
        "iam",
        "--start-by",
        "signed-in",
        "--yes",
        "-q",
    ]);
    run(&["push", "--yes", "-q"]);
    let outputs: Value = serde_json::from_str(&sb.read("shop/src/amplify_outputs.json")).unwrap();
    let api = &outputs["custom"]["workflows"]["approval"]["api"];
    assert_eq!(
        api["task_success_path"], "/workflows/approval/task-success",
        "{outputs:#}"
    );
    assert_eq!(api["task_failure_path"], "/workflows/approval/task-failure");
    let seen = moto.script(
        "sfn_triggers.py",
        &["us-east-1", "approval", "approval-dev"],
    );
    let answers = &seen["api"]["answers"];
    for (path, action) in [
        ("task-success", "SendTaskSuccess"),
        ("task-failure", "SendTaskFailure"),
    ] {
        let answer = &answers[path];
        assert_eq!(answer["methods"], json!(["OPTIONS", "POST"]), "{seen:#}");
        assert_eq!(answer["authorization"], "AWS_IAM");
        assert_eq!(
            answer["uri"],
            format!("arn:aws:apigateway:us-east-1:states:action/{action}")
        );
        let statements = &answer["role"]["policies"]["answer"];
        assert_eq!(
            statements,
            &json!([{ "Sid": "AnswerTaskTokens", "Effect": "Allow",
                "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"], "Resource": "*" }]),
            "{seen:#}"
        );
    }
}

/// The function of the sandbox test: a card charge that fails once with a
/// transient error (its process stays warm between calls), declines
/// amounts over 100, and answers a payment id.
const CHARGE: &str = r#"
calls = 0

Transient = type("Transient", (Exception,), {})
Declined = type("Declined", (Exception,), {})


def handler(event, context):
    global calls
    calls += 1
    if calls == 1:
        raise Transient("the payment provider is busy")
    if event["amount"] > 100:
        raise Declined(f"the card was declined for {event['amount']}")
    return {"paymentId": "pay-" + event["orderId"]}
"#;

/// A workflow naming a function, a model's table and its own topic.
const SANDBOX_FLOW: &str = r#"{
  "StartAt": "Charge",
  "States": {
    "Charge": {
      "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": { "FunctionName": "${function:charge}", "Payload.$": "$" },
      "ResultSelector": { "paymentId.$": "$.Payload.paymentId" }, "ResultPath": "$.payment",
      "Retry": [{ "ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 2 }],
      "Catch": [{ "ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Refused" }],
      "Next": "Save"
    },
    "Save": {
      "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": { "TableName": "${table:Todo}",
        "Item": { "id": { "S.$": "$.orderId" }, "name": { "S.$": "$.payment.paymentId" },
                  "__typename": { "S": "Todo" },
                  "createdAt": { "S": "2026-01-01T00:00:00.000Z" }, "updatedAt": { "S": "2026-01-01T00:00:00.000Z" } } },
      "ResultPath": null, "Next": "Approve"
    },
    "Approve": {
      "Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
      "Parameters": { "TopicArn": "${topic:approvals}", "Message": { "token.$": "$$.Task.Token", "order.$": "$.orderId" } },
      "ResultPath": "$.decision", "TimeoutSeconds": 120, "End": true
    },
    "Refused": { "Type": "Fail", "Error": "Declined", "CausePath": "$.error.Cause" }
  }
}"#;

/// The project's workflows run in the sandbox: a Task calls the project's
/// function (its first, transient failure retried; a declined card caught
/// into a Fail), writes the api's table (the item is then read through
/// GraphQL), publishes on its topic with a task token and waits until
/// `hoist workflow send-success --sandbox` answers; executions are started,
/// described and read with hoist's own commands through the AWS SDK for
/// Step Functions against the sandbox's endpoint, and an Express workflow
/// answers its synchronous start.
#[test]
fn workflows_run_in_the_sandbox_with_the_projects_resources() {
    let sb = common::Sandbox::new();
    let app = common::functions::sandbox_app(&sb);
    let run = |args: &[&str]| common::functions::run_in(&sb, &app, args);
    run(&["add", "auth", "--yes", "-q"]);
    run(&[
        "add",
        "api",
        "--template",
        "todo",
        "--auth",
        "api-key",
        "--yes",
        "-q",
    ]);
    run(&[
        "add",
        "function",
        "charge",
        "--runtime",
        "python",
        "--yes",
        "-q",
    ]);
    std::fs::write(app.join("hoist/function/charge/index.py"), CHARGE).unwrap();
    run(&["add", "workflow", "orders", "--yes", "-q"]);
    run(&[
        "add",
        "workflow",
        "quick",
        "--type",
        "express",
        "--start-by",
        "signed-in",
        "--yes",
        "-q",
    ]);
    std::fs::write(
        app.join("hoist/workflow/orders/definition.asl.json"),
        SANDBOX_FLOW,
    )
    .unwrap();
    let toml = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    std::fs::write(
        app.join("hoist.toml"),
        toml.replace(
            "[workflow.orders]\n",
            "[workflow.orders]\ntopics = [\"approvals\"]\n",
        ),
    )
    .unwrap();

    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let hoist = |args: &[&str]| -> Value {
        let out = sb
            .hoist_in(&app)
            .args(args)
            .args(["--sandbox", "--json"])
            .output()
            .unwrap();
        let said = stderr_of(&out, &sb);
        assert!(out.status.success(), "hoist {args:?}: {said}");
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };
    let started = hoist(&[
        "workflow",
        "start",
        "orders",
        "--input",
        r#"{"orderId": "o-1", "amount": 20}"#,
        "--name",
        "o-1",
    ]);
    assert_eq!(started["name"], "o-1", "{started:#}");
    // the topic's message carries the token
    let line = running.wait_for("waits for its task token");
    let token = line.rsplit(' ').next().unwrap().to_string();
    let described = hoist(&["workflow", "describe", "orders", "o-1"]);
    assert_eq!(described["status"], "RUNNING", "{described:#}");
    hoist(&[
        "workflow",
        "send-success",
        "--token",
        &token,
        "--output",
        r#"{"approved": true}"#,
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut described = described;
    while described["status"] == "RUNNING" && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        described = hoist(&["workflow", "describe", "orders", "o-1"]);
    }
    assert_eq!(described["status"], "SUCCEEDED", "{described:#}");
    assert_eq!(described["output"]["payment"]["paymentId"], "pay-o-1");
    assert_eq!(described["output"]["decision"]["approved"], true);
    // the first charge failed and was retried
    let history = hoist(&["workflow", "history", "orders", "o-1"]);
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "TaskFailed").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"ExecutionSucceeded"), "{kinds:?}");
    // drawn from the sandbox's history, by names, as a deployed one is
    let out = sb
        .hoist_in(&app)
        .args([
            "workflow",
            "graph",
            "orders",
            "--execution",
            "o-1",
            "--sandbox",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let drawn = String::from_utf8(out.stdout).unwrap();
    // the charge was retried, the rest succeeded
    assert!(drawn.contains("classDef retried"), "{drawn}");
    assert!(drawn.contains("classDef succeeded"), "{drawn}");

    // the item the Task wrote, read through the api
    let outputs: Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    assert!(
        outputs["custom"]["workflows"]["orders"]["state_machine_arn"]
            .as_str()
            .unwrap()
            .ends_with(":stateMachine:orders-dev"),
        "{outputs:#}"
    );
    let key = outputs["data"]["api_key"].as_str().unwrap().to_string();
    let (_, body) = running.post(
        &[("x-api-key", key.as_str())],
        r#"{"query":"query { getTodo(id: \"o-1\") { name } }"}"#,
    );
    assert_eq!(body["data"]["getTodo"]["name"], "pay-o-1", "{body:#}");

    // a start is idempotent while its execution runs with the same input;
    // stopped, it ends as ABORTED at once, past the Task's wait
    let input = r#"{"orderId": "o-9", "amount": 20}"#;
    let first = hoist(&[
        "workflow", "start", "orders", "--input", input, "--name", "o-9",
    ]);
    running.wait_for("waits for its task token");
    let again = hoist(&[
        "workflow", "start", "orders", "--input", input, "--name", "o-9",
    ]);
    assert_eq!(again["arn"], first["arn"], "{again:#}");
    let out = sb
        .hoist_in(&app)
        .args([
            "workflow",
            "start",
            "orders",
            "--input",
            "{}",
            "--name",
            "o-9",
            "--sandbox",
        ])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    hoist(&["workflow", "stop", "orders", "o-9", "--error", "Cancelled"]);
    let stopped = hoist(&["workflow", "describe", "orders", "o-9"]);
    assert_eq!(stopped["status"], "ABORTED", "{stopped:#}");
    let history = hoist(&["workflow", "history", "orders", "o-9"]);
    assert_eq!(
        history["events"].as_array().unwrap().last().unwrap()["type"],
        "ExecutionAborted",
        "{history:#}"
    );

    // a declined card: caught, and the Fail state gives its cause
    hoist(&[
        "workflow",
        "start",
        "orders",
        "--input",
        r#"{"orderId": "o-2", "amount": 500}"#,
        "--name",
        "o-2",
    ]);
    let mut described = hoist(&["workflow", "describe", "orders", "o-2"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while described["status"] == "RUNNING" && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        described = hoist(&["workflow", "describe", "orders", "o-2"]);
    }
    assert_eq!(described["status"], "FAILED", "{described:#}");
    assert_eq!(described["error"], "Declined");
    assert!(
        described["cause"]
            .as_str()
            .unwrap()
            .contains("declined for 500"),
        "{described:#}"
    );

    // an Express workflow answers its start with its end
    let quick = hoist(&["workflow", "start", "quick", "--input", r#"{"x": 1}"#]);
    assert_eq!(quick["status"], "SUCCEEDED", "{quick:#}");
    // the app, with a signed-in user's credentials and the AWS SDK, may start
    // what `start_by` names, and nothing else
    let c = common::callers::sandbox_credentials(&sb, &app, &["--user", "ada"]);
    let sfn = aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sfn::config::Credentials::new(
                c["Credentials"]["AccessKeyId"].as_str().unwrap(),
                c["Credentials"]["SecretKey"].as_str().unwrap(),
                c["Credentials"]["SessionToken"]
                    .as_str()
                    .map(str::to_string),
                None,
                "app",
            ))
            .endpoint_url(
                outputs["custom"]["hoist_sandbox"]["states_endpoint"]
                    .as_str()
                    .unwrap(),
            )
            .interceptor(hoist::deploy::aws::NoHostPrefix)
            .build(),
    );
    let workflows = &outputs["custom"]["workflows"];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ran = rt
        .block_on(
            sfn.start_sync_execution()
                .state_machine_arn(workflows["quick"]["state_machine_arn"].as_str().unwrap())
                .input(r#"{"from": "the app"}"#)
                .send(),
        )
        .unwrap();
    assert_eq!(ran.status().as_str(), "SUCCEEDED");
    assert!(
        ran.output()
            .unwrap()
            .contains(r#""input":{"from":"the app"}"#),
        "{ran:?}"
    );
    let refused = rt
        .block_on(
            sfn.start_execution()
                .state_machine_arn(workflows["orders"]["state_machine_arn"].as_str().unwrap())
                .input("{}")
                .send(),
        )
        .unwrap_err();
    let refused = aws_sdk_sfn::error::ProvideErrorMetadata::code(&refused).map(str::to_string);
    assert_eq!(refused.as_deref(), Some("AccessDeniedException"));

    // a stale token is refused by name
    let out = sb
        .hoist_in(&app)
        .args(["workflow", "send-success", "--sandbox", "--token", &token])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("TaskDoesNotExist") || said.contains("no task"),
        "{said}"
    );
}

/// The order fulfillment blueprint, as `hoist add workflow` writes it, runs
/// end to end in the sandbox with its four Node.js functions: an order in
/// stock is charged and reserved; a transient Lambda error is retried (the
/// function's source, edited while the sandbox runs, throws it once); a
/// declined card fails the Parallel, whose Catch runs the compensation
/// before the order fails with the card's cause; an order out of stock fails
/// at its Choice.
#[test]
#[ignore = "needs the npm registry (the functions' packages); run by scripts/test.sh"]
fn order_fulfillment_runs_end_to_end_in_the_sandbox() {
    let sb = common::Sandbox::new();
    let app = common::functions::sandbox_app(&sb);
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-cache");
    let run = |args: &[&str]| {
        let out = sb
            .hoist_in(&app)
            .env("npm_config_cache", &cache)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out, &sb));
    };
    run(&[
        "add",
        "api",
        "--template",
        "todo",
        "--auth",
        "api-key",
        "--yes",
        "-q",
    ]);
    run(&[
        "add",
        "workflow",
        "orders",
        "--blueprint",
        "order-fulfillment",
        "--yes",
        "-q",
    ]);
    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let hoist = |args: &[&str]| -> Value {
        let out = sb
            .hoist_in(&app)
            .args(args)
            .args(["--sandbox", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hoist {args:?}: {}",
            stderr_of(&out, &sb)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };
    let ended = |name: &str, input: &str| -> (Value, Vec<String>) {
        hoist(&[
            "workflow", "start", "orders", "--input", input, "--name", name,
        ]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let mut described = hoist(&["workflow", "describe", "orders", name]);
        while described["status"] == "RUNNING" && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(200));
            described = hoist(&["workflow", "describe", "orders", name]);
        }
        let history = hoist(&["workflow", "history", "orders", name]);
        let states = history["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["type"].as_str().unwrap().ends_with("StateEntered") || e["type"] == "TaskFailed"
            })
            .map(|e| {
                let d = e
                    .as_object()
                    .unwrap()
                    .iter()
                    .find(|(k, _)| k.ends_with("EventDetails"))
                    .unwrap()
                    .1;
                d["name"]
                    .as_str()
                    .or(d["error"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        (described, states)
    };
    let order = |id: &str, quantity: u32, amount: u32| {
        format!(
            r#"{{"orderId": "{id}", "items": [{{"sku": "book", "quantity": {quantity}}}], "amount": {amount}}}"#
        )
    };

    let (done, states) = ended("o-1", &order("o-1", 2, 20));
    assert_eq!(done["status"], "SUCCEEDED", "{done:#} {states:?}");
    assert_eq!(
        done["output"]["fulfillment"]["payment"]["paymentId"], "pay-o-1",
        "{done:#}"
    );
    assert_eq!(
        states,
        [
            "CheckStock",
            "InStock",
            "ChargeAndReserve",
            "ChargeCard",
            "ReserveStock",
            "Fulfilled"
        ]
    );

    // a transient error, thrown once by the edited function, is retried
    let source = app.join("hoist/function/chargeCard/src/index.ts");
    let text = std::fs::read_to_string(&source).unwrap();
    let flaky = text.replacen(
        "export const handler = async (",
        "let calls = 0;\nexport const handler = async (",
        1,
    )
    .replacen(
        "  if (!(order?.amount > 0)) {",
        "  if (calls++ === 0) {\n    const busy = new Error(\"Rate exceeded\");\n    busy.name = \"Lambda.TooManyRequestsException\";\n    throw busy;\n  }\n  if (!(order?.amount > 0)) {",
        1,
    );
    assert_ne!(flaky, text);
    std::fs::write(&source, flaky).unwrap();
    let (done, states) = ended("o-2", &order("o-2", 1, 30));
    assert_eq!(done["status"], "SUCCEEDED", "{done:#} {states:?}");
    assert!(
        states
            .iter()
            .any(|s| s == "Lambda.TooManyRequestsException"),
        "{states:?}"
    );

    // a declined card: the compensation runs, then the order fails with its cause
    let (done, states) = ended("o-3", &order("o-3", 1, 5000));
    assert_eq!(done["status"], "FAILED", "{done:#}");
    assert_eq!(done["error"], "OrderFailed");
    assert!(
        done["cause"].as_str().unwrap().contains("declined"),
        "{done:#}"
    );
    assert!(states.contains(&"Compensate".to_string()), "{states:?}");
    running.wait_for("refunding pay-o-3");

    // out of stock: the Choice sends it to its Fail state
    let (done, _) = ended("o-4", &order("o-4", 50, 20));
    assert_eq!(done["error"], "OutOfStock", "{done:#}");
}

/// The activity worker blueprint: the definition waits in its activity, the
/// Python worker `hoist add workflow` writes passes its own tests (pytest),
/// and, run against the sandbox with boto3 and the administrator's
/// credentials, takes the task (GetActivityTask), reports the box
/// (SendTaskSuccess) or its failure (SendTaskFailure, which the Catch takes).
#[test]
#[ignore = "needs boto3 and pytest (PyPI); run by scripts/test.sh, which installs them"]
fn activity_worker_takes_its_tasks_from_the_sandbox() {
    let sb = common::Sandbox::new();
    let app = common::functions::sandbox_app(&sb);
    let run = |args: &[&str]| common::functions::run_in(&sb, &app, args);
    run(&[
        "add",
        "api",
        "--template",
        "todo",
        "--auth",
        "api-key",
        "--yes",
        "-q",
    ]);
    run(&[
        "add",
        "workflow",
        "pack",
        "--blueprint",
        "activity-worker",
        "--yes",
        "-q",
    ]);
    let toml = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    assert!(toml.contains("activities = [\"packing\"]"), "{toml}");
    let worker = app.join("hoist/workflow/pack/worker");
    // the worker's own tests
    let pytest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/pytest/bin/pytest");
    let out = std::process::Command::new(&pytest)
        .args(["-q", "-p", "no:cacheprovider"])
        .current_dir(&worker)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let outputs: Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let activity = outputs["custom"]["workflows"]["pack"]["activities"]["packing"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        activity.ends_with(":activity:pack-packing-dev"),
        "{outputs:#}"
    );
    let endpoint = outputs["custom"]["hoist_sandbox"]["states_endpoint"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = common::callers::sandbox_credentials(&sb, &app, &["--admin"]);
    let hoist = |args: &[&str]| -> Value {
        let out = sb
            .hoist_in(&app)
            .args(args)
            .args(["--sandbox", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hoist {args:?}: {}",
            stderr_of(&out, &sb)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };
    let work = |name: &str, input: &str| -> Value {
        hoist(&[
            "workflow", "start", "pack", "--input", input, "--name", name,
        ]);
        running.wait_for("waits for a worker");
        let out = std::process::Command::new(common::moto::python())
            .arg("worker.py")
            .arg("--once")
            .current_dir(&worker)
            .env("ACTIVITY_ARN", &activity)
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env(
                "AWS_ACCESS_KEY_ID",
                admin["Credentials"]["AccessKeyId"].as_str().unwrap(),
            )
            .env(
                "AWS_SECRET_ACCESS_KEY",
                admin["Credentials"]["SecretKey"].as_str().unwrap(),
            )
            .env(
                "AWS_SESSION_TOKEN",
                admin["Credentials"]["SessionToken"].as_str().unwrap(),
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the worker: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut described = hoist(&["workflow", "describe", "pack", name]);
        while described["status"] == "RUNNING" && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
            described = hoist(&["workflow", "describe", "pack", name]);
        }
        described
    };
    let packed = work("p-1", r#"{"items": [{"sku": "book", "quantity": 2}]}"#);
    assert_eq!(packed["status"], "SUCCEEDED", "{packed:#}");
    assert_eq!(
        packed["output"]["packing"],
        json!({ "box": "small", "items": 2 })
    );
    let failed = work("p-2", "{}");
    assert_eq!(failed["status"], "FAILED", "{failed:#}");
    assert_eq!(failed["error"], "PackingFailed");
    assert!(
        failed["cause"].as_str().unwrap().contains("has items"),
        "{failed:#}"
    );
}

/// The data processing blueprint runs in the sandbox with its two Node.js
/// functions and the storage bucket: the input's records are cleaned one by
/// one (a refused record kept, marked rejected); the objects a user uploaded
/// under a prefix are listed by the distributed Map's ItemReader, one to a
/// child (the batch size edited down to 1), an empty object's child fails
/// and is tolerated (1 of 10 is 10%), and the ResultWriter exports the
/// children to the bucket: the manifest, the succeeded and the failed
/// child's file. Two empty objects of ten are more than it tolerates.
#[test]
#[ignore = "needs the npm registry (the functions' packages); run by scripts/test.sh"]
fn data_processing_runs_in_the_sandbox_over_the_storage_bucket() {
    let sb = common::Sandbox::new();
    let app = common::functions::sandbox_app(&sb);
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-cache");
    let run = |args: &[&str]| {
        let out = sb
            .hoist_in(&app)
            .env("npm_config_cache", &cache)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out, &sb));
    };
    run(&["add", "auth", "--yes", "-q"]);
    run(&["add", "storage", "--yes", "-q"]);
    // the sandbox serves a project with an api
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    run(&[
        "add",
        "workflow",
        "data",
        "--blueprint",
        "data-processing",
        "--yes",
        "-q",
    ]);
    let definition = app.join("hoist/workflow/data/definition.asl.json");
    let text = std::fs::read_to_string(&definition).unwrap();
    assert!(text.contains("\"Bucket\": \"${bucket:files}\""), "{text}");
    let one_each = text.replace("\"MaxItemsPerBatch\": 100", "\"MaxItemsPerBatch\": 1");
    assert_ne!(one_each, text);
    std::fs::write(&definition, one_each).unwrap();

    let running = common::running::Running::start(
        &sb,
        &app,
        &["--port", "0", "--storage-port", "0", "--no-watch"],
    );
    let line = running.wait_for("Storage endpoint: ");
    let endpoint = line
        .split("Storage endpoint: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let outputs: Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let bucket = outputs["storage"]["bucket_name"]
        .as_str()
        .unwrap()
        .to_string();
    let creds = common::callers::sandbox_credentials(&sb, &app, &["--user", "ada"]);
    let s3 = common::callers::s3_client(&endpoint, &creds);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let upload = |prefix: &str, empty: usize| {
        rt.block_on(async {
            for i in 0..10 {
                let body: &'static [u8] = if i < empty { b"" } else { b"some,data\n" };
                s3.put_object()
                    .bucket(&bucket)
                    .key(format!("{prefix}{i}.csv"))
                    .body(aws_sdk_s3::primitives::ByteStream::from_static(body))
                    .send()
                    .await
                    .unwrap();
            }
        });
    };
    upload("public/in/", 1);
    upload("public/worse/", 2);

    let hoist = |args: &[&str]| -> Value {
        let out = sb
            .hoist_in(&app)
            .args(args)
            .args(["--sandbox", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hoist {args:?}: {}",
            stderr_of(&out, &sb)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };
    let ended = |name: &str, input: &str| -> Value {
        hoist(&[
            "workflow", "start", "data", "--input", input, "--name", name,
        ]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let mut described = hoist(&["workflow", "describe", "data", name]);
        while described["status"] == "RUNNING" && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(200));
            described = hoist(&["workflow", "describe", "data", name]);
        }
        described
    };

    let done = ended(
        "run-1",
        r#"{"records": [{"name": " Ada ", "email": "ADA@Example.com"}, "not a record"], "prefix": "public/in/"}"#,
    );
    assert_eq!(done["status"], "SUCCEEDED", "{done:#}");
    let output = &done["output"];
    assert_eq!(
        output["records"][0],
        json!({ "name": "Ada", "email": "ada@example.com" }),
        "{done:#}"
    );
    assert_eq!(output["records"][1]["rejected"], true, "{done:#}");
    assert!(
        output["records"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("a record is a JSON object"),
        "{done:#}"
    );
    let run_arn = output["objects"]["MapRunArn"].as_str().unwrap();
    assert!(
        run_arn.contains(":mapRun:data-") && run_arn.contains("/SummarizeObjects:"),
        "{done:#}"
    );
    let details = &output["objects"]["ResultWriterDetails"];
    assert_eq!(details["Bucket"], bucket.as_str());
    let manifest_key = details["Key"].as_str().unwrap();
    assert!(
        manifest_key.starts_with("workflow-results/") && manifest_key.ends_with("/manifest.json"),
        "{done:#}"
    );

    // what the ResultWriter wrote: not readable by the app's users, so read
    // from the sandbox's files (an object's entry is named by its key's SHA-256)
    let bucket_dir = walk(&app.join(".hoist"))
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == bucket.as_str()) && p.is_dir())
        .expect("the bucket's folder");
    let object = |key: &str| -> Value {
        use sha2::Digest;
        let digest: String = sha2::Sha256::digest(key.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let meta: Value = serde_json::from_slice(
            &std::fs::read(bucket_dir.join("objects").join(format!("{digest}.json"))).unwrap(),
        )
        .unwrap();
        serde_json::from_slice(
            &std::fs::read(
                bucket_dir
                    .join("objects")
                    .join(meta["file"].as_str().unwrap()),
            )
            .unwrap(),
        )
        .unwrap()
    };
    let manifest = object(manifest_key);
    assert_eq!(manifest["MapRunArn"], run_arn);
    let succeeded = object(
        manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(succeeded.as_array().unwrap().len(), 9, "{succeeded:#}");
    let summary: Value = serde_json::from_str(succeeded[0]["Output"].as_str().unwrap()).unwrap();
    assert_eq!(summary["prefix"], "public/in/");
    assert_eq!(summary["objects"], 1);
    assert_eq!(summary["bytes"], 10);
    assert_eq!(summary["byExtension"], json!({ "csv": 1 }));
    let failed = object(
        manifest["ResultFiles"]["FAILED"][0]["Key"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(failed[0]["Status"], "FAILED");
    assert_eq!(failed[0]["Error"], "EmptyObject", "{failed:#}");
    let input: Value = serde_json::from_str(failed[0]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(input["Items"][0]["Key"], "public/in/0.csv");
    assert_eq!(input["BatchInput"], json!({ "prefix": "public/in/" }));

    // two of ten is more than 10%
    let done = ended("run-2", r#"{"prefix": "public/worse/"}"#);
    assert_eq!(done["status"], "FAILED", "{done:#}");
    assert_eq!(
        done["error"], "States.ExceedToleratedFailureThreshold",
        "{done:#}"
    );
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}

/// A workflow's REST endpoint in the sandbox, called with the real
/// aws-amplify REST client as the app would (configured from
/// `custom.workflows.approval.api`, signing with SigV4): a signed-in user
/// starts the human approval workflow, a guest is refused as API Gateway
/// refuses (403, `execute-api:Invoke`), and the token the workflow waits
/// for is answered through `task-success`, which ends it with the answer;
/// a second execution is refused through `task-failure`. An unsigned call
/// is refused. A `user-pool` endpoint of an Express workflow takes a
/// user's ID token and answers with the execution's end; no token or a bad
/// one gets 401, a body that is not JSON 415 (or 400 when it says JSON).
#[test]
#[ignore = "needs the npm packages of tests/outputs-check; run by scripts/test.sh"]
fn the_rest_endpoint_starts_and_answers_a_workflow_in_the_sandbox() {
    let sb = common::Sandbox::new();
    let app = common::functions::sandbox_app(&sb);
    let run = |args: &[&str]| common::functions::run_in(&sb, &app, args);
    run(&["add", "auth", "--yes", "-q"]);
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    run(&[
        "add",
        "workflow",
        "approval",
        "--blueprint",
        "human-approval",
        "--trigger",
        "api",
        "--api-auth",
        "iam",
        "--start-by",
        "signed-in",
        "--yes",
        "-q",
    ]);
    run(&[
        "add",
        "workflow",
        "quick",
        "--type",
        "express",
        "--trigger",
        "api",
        "--api-auth",
        "user-pool",
        "--yes",
        "-q",
    ]);
    let running = common::running::Running::start(&sb, &app, &["--port", "0", "--no-watch"]);
    let outputs_path = app.join("amplify_outputs.json");
    let outputs: Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs_path).unwrap()).unwrap();
    let api = &outputs["custom"]["workflows"]["approval"]["api"];
    let endpoint = api["endpoint"].as_str().unwrap().to_string();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{outputs:#}");
    assert_eq!(api["path"], "/workflows/approval");
    assert_eq!(api["authorization_type"], "AWS_IAM");
    assert_eq!(api["task_success_path"], "/workflows/approval/task-success");
    assert_eq!(api["task_failure_path"], "/workflows/approval/task-failure");

    let user = common::callers::sandbox_credentials(&sb, &app, &["--user", "ada"]).to_string();
    let guest = common::callers::sandbox_credentials(&sb, &app, &["--guest"]).to_string();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/outputs-check/sandbox-workflow-api.mjs");
    let amplify = |credentials: &str, args: &[&str]| -> Value {
        let out = std::process::Command::new("node")
            .arg(&script)
            .arg(&outputs_path)
            .arg("approval")
            .arg(credentials)
            .args(args)
            .output()
            .expect("could not run node");
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let hoist = |args: &[&str]| -> Value {
        let out = sb
            .hoist_in(&app)
            .args(args)
            .args(["--sandbox", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hoist {args:?}: {}",
            stderr_of(&out, &sb)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };

    // a signed-in user starts it; its answer is StartExecution's
    let started = amplify(&user, &["start", r#"{"request": "a new laptop"}"#]);
    assert_eq!(started["status"], 200, "{started:#}");
    let execution = started["body"]["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        execution.contains(":execution:approval-dev:"),
        "{started:#}"
    );
    assert!(started["body"]["startDate"].is_number(), "{started:#}");
    let line = running.wait_for("waits for its task token");
    let token = line.rsplit(' ').next().unwrap().to_string();

    // a guest's role is not one start_by names
    let refused = amplify(&guest, &["start", "{}"]);
    assert_eq!(refused["status"], 403, "{refused:#}");
    assert!(
        refused["body"]["Message"]
            .as_str()
            .unwrap()
            .contains("is not authorized to perform: execute-api:Invoke"),
        "{refused:#}"
    );

    // the token is answered through the endpoint, and the workflow ends with the answer
    let answered = amplify(
        &user,
        &["task-success", &token, r#"{"approved": true, "by": "ada"}"#],
    );
    assert_eq!(answered, json!({ "status": 200, "body": {} }));
    let name = execution.rsplit(':').next().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut described = hoist(&["workflow", "describe", "approval", name]);
    while described["status"] == "RUNNING" && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        described = hoist(&["workflow", "describe", "approval", name]);
    }
    assert_eq!(described["status"], "SUCCEEDED", "{described:#}");
    assert_eq!(
        described["output"]["decision"],
        json!({ "approved": true, "by": "ada" }),
        "{described:#}"
    );
    // an answered token is no more
    let again = amplify(&user, &["task-success", &token, "{}"]);
    assert_eq!(again["status"], 400, "{again:#}");
    assert_eq!(again["body"]["__type"], "TaskDoesNotExist", "{again:#}");

    // a refusal through task-failure
    let second = amplify(&user, &["start", r#"{"request": "a boat"}"#]);
    let second_name = second["body"]["executionArn"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let line = running.wait_for("waits for its task token");
    let token = line.rsplit(' ').next().unwrap().to_string();
    let refused = amplify(
        &user,
        &["task-failure", &token, "NotNow", "no boats this year"],
    );
    assert_eq!(refused["status"], 200, "{refused:#}");
    let mut described = hoist(&["workflow", "describe", "approval", &second_name]);
    while described["status"] == "RUNNING" && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        described = hoist(&["workflow", "describe", "approval", &second_name]);
    }
    assert_eq!(described["status"], "FAILED", "{described:#}");
    assert_eq!(described["error"], "Rejected", "{described:#}");
    assert!(
        described["cause"]
            .as_str()
            .unwrap()
            .contains("no boats this year"),
        "{described:#}"
    );

    // unsigned, and not JSON
    let raw = |content_type: &str, body: &str, token: Option<&str>, path: &str| -> (u16, String) {
        let mut curl = std::process::Command::new("curl");
        curl.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST"])
            .args(["-H", &format!("Content-Type: {content_type}")])
            .args(["--data", body]);
        if let Some(token) = token {
            curl.args(["-H", &format!("Authorization: {token}")]);
        }
        let out = curl
            .arg(format!("{endpoint}/workflows/{path}"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse().unwrap(), body.to_string())
    };
    let (code, body) = raw("application/json", "{}", None, "approval");
    assert_eq!(
        (code, body.as_str()),
        (403, r#"{"message":"Missing Authentication Token"}"#)
    );

    // the user pool's: an ID token of a user; an Express workflow answers
    // with its end (status and output, not its input or ARNs)
    let token = common::callers::token(&sb, &app, "ada", &[], false);
    let (code, body) = raw("application/json", r#"{"n": 1}"#, Some(&token), "quick");
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({ "status": "SUCCEEDED", "output": { "message": "Hello from a hoist workflow", "input": { "n": 1 } } })
    );
    let (code, body) = raw("application/json", "{}", None, "quick");
    assert_eq!(
        (code, body.as_str()),
        (401, r#"{"message":"Unauthorized"}"#)
    );
    let (code, body) = raw("application/json", "{}", Some("not-a-token"), "quick");
    assert_eq!(
        (code, body.as_str()),
        (401, r#"{"message":"Unauthorized"}"#)
    );
    let (code, body) = raw("text/plain", "hello", Some(&token), "quick");
    assert_eq!(
        (code, body.as_str()),
        (415, r#"{"message":"Unsupported Media Type"}"#)
    );
    let (code, body) = raw("application/json", "{", Some(&token), "quick");
    assert_eq!(code, 400, "{body}");
    // quick waits for no token: it has no answers
    let (code, _) = raw("application/json", "{}", Some(&token), "quick/task-success");
    assert_eq!(code, 404);
    assert!(running.stop().success());
}

/// The project function `function` (in `shop`) passes its own tests and
/// type check with npm.
fn passes_its_own_checks(sb: &Sandbox, function: &str, cache: &std::path::Path) {
    let dir = sb.join("shop/hoist/function").join(function);
    for args in [&["test", "--silent"][..], &["run", "typecheck", "--silent"]] {
        let out = std::process::Command::new("npm")
            .args(args)
            .env("npm_config_cache", cache)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{function}: npm {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
