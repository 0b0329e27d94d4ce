//! Issue 16's attack suite: the generated authorization, executed in the
//! sandbox against two real users of its user pool, judged by what reaches
//! each of them (`tests/outputs-check/sandbox-attacks.mjs`). Each scenario
//! fails if the leak it names comes back.

mod common;

use common::callers::{sandbox_credentials, sigv4_headers_for, token};
use common::running::Running;
use serde_json::{Value, json};

/// Two users try to reach each other's data: subscriptions, filters, index
/// queries, updates of who holds an item.
#[test]
#[ignore = "needs the npm packages of tests/outputs-check; run by scripts/test.sh"]
fn two_users_cannot_reach_each_others_data() {
    let sb = common::Sandbox::new();
    sb.hoist()
        .args(["init", "app", "--frontend", "none", "--yes", "-q"])
        .assert()
        .success();
    let app = sb.join("app");
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attacks/schema.graphql");
    sb.hoist_in(&app)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    sb.hoist_in(&app)
        .args([
            "add",
            "api",
            "--auth",
            "user-pools",
            "--yes",
            "-q",
            "--schema",
        ])
        .arg(&schema)
        .assert()
        .success();
    let _running = Running::start(&sb, &app, &["--port", "0", "--no-watch"]);
    for email in ["ada@example.com", "bob@example.com"] {
        let out = sb
            .hoist_in(&app)
            .args([
                "sandbox",
                "users",
                "add",
                email,
                "--password",
                "Secret-123!",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let outputs = app.join("amplify_outputs.json");
    let report = common::node_report(
        "outputs-check/sandbox-attacks.mjs",
        &[
            outputs.as_os_str(),
            "ada@example.com".as_ref(),
            "bob@example.com".as_ref(),
            "Secret-123!".as_ref(),
        ],
    );
    assert_eq!(report["checks"].as_array().unwrap().len(), 4, "{report}");
}

/// Who calls, as the matrix's rules see them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    ApiKey,
    IamGuest,
    IamUser,
    UserPools { user: &'static str, admin: bool },
    Oidc { user: &'static str },
}

/// A caller and how it signs.
struct Who {
    kind: Kind,
    /// An API key, a token, or (IAM) the credentials JSON.
    secret: Value,
}

impl Who {
    /// The headers of a request (POST /graphql) with `body`.
    fn headers(&self, port: u16, body: &str) -> Vec<(String, String)> {
        self.headers_for(port, "/graphql", body)
    }

    /// The headers of a POST of `body` to `path`.
    fn headers_for(&self, port: u16, path: &str, body: &str) -> Vec<(String, String)> {
        match self.kind {
            Kind::ApiKey => vec![("x-api-key".into(), self.secret.as_str().unwrap().into())],
            Kind::IamGuest | Kind::IamUser => {
                let c = &self.secret["Credentials"];
                sigv4_headers_for(
                    port,
                    "appsync",
                    path,
                    &[],
                    c,
                    c["SecretKey"].as_str().unwrap(),
                    body,
                )
            }
            _ => vec![("authorization".into(), self.secret.as_str().unwrap().into())],
        }
    }

    fn post(&self, running: &Running, query: &str) -> Value {
        let body = json!({ "query": query }).to_string();
        let headers = self.headers(running.port, &body);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        running.post(&headers, &body).1
    }
}

/// One `@auth` rule of the corpus schema, read from its text (not by hoist).
#[derive(Debug)]
struct Rule {
    allow: String,
    provider: String,
    groups: Vec<String>,
}

/// How far a caller may go with a model's items.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Reach {
    None,
    Own,
    All,
}

/// The matrix's oracle: the rules as Amplify documents them (every rule of
/// this schema allows every operation; the default providers are apiKey for
/// `public` and userPools for the rest).
fn reach(rules: &[Rule], who: Kind) -> Reach {
    let mut best = Reach::None;
    for rule in rules {
        let got = match (rule.allow.as_str(), rule.provider.as_str(), who) {
            ("public", "apiKey", Kind::ApiKey)
            | ("public", "iam", Kind::IamGuest)
            | ("private", "iam", Kind::IamUser)
            | ("private", "userPools", Kind::UserPools { .. })
            | ("private", "oidc", Kind::Oidc { .. }) => Reach::All,
            ("groups", "userPools", Kind::UserPools { admin: true, .. })
                if rule.groups.iter().any(|g| g == "Admins") =>
            {
                Reach::All
            }
            ("owner", "userPools", Kind::UserPools { .. })
            | ("owner", "oidc", Kind::Oidc { .. }) => Reach::Own,
            _ => Reach::None,
        };
        if got > best {
            best = got;
        }
    }
    best
}

/// The rules of each model of a schema text.
fn rules_of(text: &str) -> Vec<(String, Vec<Rule>)> {
    use apollo_compiler::ast::{Definition, Value as V};
    let doc = apollo_compiler::ast::Document::parse(text, "schema.graphql").unwrap();
    let word = |v: &V| match v {
        V::Enum(e) => e.to_string(),
        V::String(s) => s.to_string(),
        _ => String::new(),
    };
    let mut out = Vec::new();
    for d in &doc.definitions {
        let Definition::ObjectTypeDefinition(t) = d else {
            continue;
        };
        let Some(auth) = t.directives.get("auth") else {
            continue;
        };
        let mut rules = Vec::new();
        if let Some(V::List(items)) = auth.specified_argument_by_name("rules").map(|v| v.as_ref()) {
            for item in items {
                let V::Object(fields) = item.as_ref() else {
                    continue;
                };
                let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_ref());
                let allow = get("allow").map(word).unwrap_or_default();
                let provider = get("provider").map(word).unwrap_or_else(|| {
                    if allow == "public" {
                        "apiKey"
                    } else {
                        "userPools"
                    }
                    .to_string()
                });
                let groups = match get("groups") {
                    Some(V::List(g)) => g.iter().map(|v| word(v)).collect(),
                    _ => Vec::new(),
                };
                rules.push(Rule {
                    allow,
                    provider,
                    groups,
                });
            }
        }
        out.push((t.name.to_string(), rules));
    }
    out
}

/// A subscription on the real-time endpoint, started; or why it was refused.
fn subscribe(
    port: u16,
    who: &Who,
    query: &str,
) -> Result<tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>, String>
{
    use base64::Engine;
    use tungstenite::Message;
    use tungstenite::client::IntoClientRequest;
    let host = format!("127.0.0.1:{port}");
    // the connection is authorized as AppSync's: the caller's headers, signed
    // (IAM) as a POST of `{}` to /graphql/connect
    let mut connect = serde_json::Map::new();
    connect.insert("host".into(), json!(host));
    for (k, v) in who.headers_for(port, "/graphql/connect", "{}") {
        connect.insert(k, json!(v));
    }
    if matches!(who.kind, Kind::IamGuest | Kind::IamUser) {
        connect.insert("content-type".into(), json!("application/json"));
    }
    let header =
        base64::engine::general_purpose::STANDARD.encode(Value::Object(connect).to_string());
    let mut request = format!("ws://{host}/graphql/realtime?header={header}&payload=e30=")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-ws".parse().unwrap());
    let (mut socket, _) = tungstenite::connect(request).map_err(|e| e.to_string())?;
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = socket.get_mut() {
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
    }
    let data = json!({ "query": query, "variables": {} }).to_string();
    let mut authorization = serde_json::Map::new();
    authorization.insert("host".into(), json!(host));
    for (k, v) in who.headers(port, &data) {
        authorization.insert(k, json!(v));
    }
    if matches!(who.kind, Kind::IamGuest | Kind::IamUser) {
        authorization.insert("content-type".into(), json!("application/json"));
    }
    socket
        .send(Message::Text(
            json!({ "type": "connection_init" }).to_string().into(),
        ))
        .unwrap();
    let mut started = false;
    loop {
        let message = socket.read().map_err(|e| e.to_string())?;
        let Message::Text(text) = message else {
            continue;
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str().unwrap_or_default() {
            "connection_ack" if !started => {
                started = true;
                let start = json!({ "id": "1", "type": "start", "payload": {
                    "data": data, "extensions": { "authorization": authorization } } });
                socket
                    .send(Message::Text(start.to_string().into()))
                    .unwrap();
            }
            "start_ack" => return Ok(socket),
            "error" | "connection_error" => return Err(message.to_string()),
            _ => {}
        }
    }
}

/// An event already sent to a subscription (read within 50 ms), if any.
fn next_event(
    socket: &mut tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
) -> Option<Value> {
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = socket.get_mut() {
        s.set_read_timeout(Some(std::time::Duration::from_millis(50)))
            .unwrap();
    }
    loop {
        let tungstenite::Message::Text(text) = socket.read().ok()? else {
            continue;
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["type"] == "data" {
            return Some(message["payload"].clone());
        }
    }
}

/// The corpus's multi-auth schema (26 models, each a combination of owner,
/// group, private and public rules over user pools, OIDC, IAM and an API
/// key): for each model and each kind of caller, create, get, list, update,
/// delete and the create, update and delete subscriptions (with a matching
/// and a non-matching filter) are allowed exactly when the rules allow them (an oracle reading the rules, not hoist's transform), owners
/// reach only their own items, and a subscriber gets only the events of
/// items it may read.
#[test]
fn the_multi_auth_rule_matrix_holds_for_every_caller() {
    let Some(text) = common::corpus_file("graphql/multiauth-matrix-26-models.graphql") else {
        return;
    };
    let sb = common::Sandbox::new();
    sb.hoist()
        .args(["init", "app", "--frontend", "none", "--yes", "-q"])
        .assert()
        .success();
    let app = sb.join("app");
    sb.hoist_in(&app)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    sb.hoist_in(&app)
        .args([
            "add",
            "api",
            "--auth",
            "api-key",
            "--template",
            "blank",
            "--yes",
            "-q",
        ])
        .assert()
        .success();
    common::with_every_auth_mode(&app);
    std::fs::write(app.join("hoist/api/main/schema.graphql"), &text).unwrap();
    let running = Running::start(&sb, &app, &["--port", "0", "--no-watch"]);
    let outputs: Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let token =
        |user: &str, groups: &[&str], oidc: bool| json!(token(&sb, &app, user, groups, oidc));
    let callers = [
        Who {
            kind: Kind::ApiKey,
            secret: outputs["data"]["api_key"].clone(),
        },
        Who {
            kind: Kind::IamGuest,
            secret: sandbox_credentials(&sb, &app, &["--guest"]),
        },
        Who {
            kind: Kind::IamUser,
            secret: sandbox_credentials(&sb, &app, &["--user", "ivy"]),
        },
        Who {
            kind: Kind::UserPools {
                user: "ada",
                admin: false,
            },
            secret: token("ada", &[], false),
        },
        Who {
            kind: Kind::UserPools {
                user: "bob",
                admin: false,
            },
            secret: token("bob", &[], false),
        },
        Who {
            kind: Kind::UserPools {
                user: "root",
                admin: true,
            },
            secret: token("root", &["Admins"], false),
        },
        Who {
            kind: Kind::Oidc { user: "ada" },
            secret: token("ada", &[], true),
        },
        Who {
            kind: Kind::Oidc { user: "bob" },
            secret: token("bob", &[], true),
        },
    ];
    let mut wrong = Vec::new();
    let models = rules_of(&text);
    assert_eq!(models.len(), 26);
    for (model, rules) in &models {
        let plural = format!("{model}s");
        // the item everyone is tried on: an owner's (ada's) where owners are
        // in the rules, else one made by a caller that may do everything
        let creator = callers
            .iter()
            .find(|w| {
                reach(rules, w.kind) == Reach::Own
                    && matches!(
                        w.kind,
                        Kind::UserPools { user: "ada", .. } | Kind::Oidc { user: "ada" }
                    )
            })
            .or_else(|| callers.iter().find(|w| reach(rules, w.kind) == Reach::All))
            .expect("someone may create");
        let created = creator.post(
            &running,
            &format!("mutation {{ create{model}(input: {{ name: \"seed\" }}) {{ id }} }}"),
        );
        let Some(id) = created["data"][format!("create{model}")]["id"].as_str() else {
            wrong.push(format!("{model}: its creator could not create: {created}"));
            continue;
        };
        let id = id.to_string();
        // subscribers, before the events: each mutation's subscription, and
        // one filtered on the event's name (it matches) and one filtered on
        // another (it never does)
        let subscriptions = [
            ("onCreate", "(filter: { name: { eq: \"event\" } })", true),
            ("onCreate", "(filter: { name: { eq: \"nothing\" } })", false),
            ("onUpdate", "", true),
            ("onDelete", "", true),
        ];
        let mut sockets = Vec::new();
        for who in &callers {
            let allowed = reach(rules, who.kind) != Reach::None;
            for (on, filter, matching) in subscriptions {
                match subscribe(
                    running.port,
                    who,
                    &format!("subscription {{ {on}{model}{filter} {{ id name }} }}"),
                ) {
                    Ok(socket) if allowed => sockets.push((who, on, matching, socket)),
                    Ok(_) => wrong.push(format!("{model}: {:?} subscribed to {on}", who.kind)),
                    Err(e) if allowed => wrong.push(format!(
                        "{model}: {:?} could not subscribe to {on}: {e}",
                        who.kind
                    )),
                    Err(_) => {}
                }
            }
        }
        for who in &callers {
            let r = reach(rules, who.kind);
            let owns = std::ptr::eq(who, creator) && r == Reach::Own;
            let sees = r == Reach::All || owns;
            let name = format!("{:?}", who.kind);
            // create
            let made = who.post(
                &running,
                &format!("mutation {{ create{model}(input: {{ name: \"mine\" }}) {{ id }} }}"),
            );
            if (made["errors"].is_null()
                && made["data"][format!("create{model}")]["id"].is_string())
                != (r != Reach::None)
            {
                wrong.push(format!("{model}: create by {name}: {made}"));
            }
            // get the seed
            let got = who.post(
                &running,
                &format!("{{ get{model}(id: \"{id}\") {{ id name }} }}"),
            );
            if (got["data"][format!("get{model}")]["id"] == json!(id)) != sees {
                wrong.push(format!("{model}: get by {name}: {got}"));
            }
            // list: the seed where it may be seen, never an item of someone else's for an owner
            let listed = who.post(
                &running,
                &format!("{{ list{plural}(limit: 1000) {{ items {{ id }} }} }}"),
            );
            let items = listed["data"][format!("list{plural}")]["items"].as_array();
            let has_seed = items.is_some_and(|i| i.iter().any(|x| x["id"] == json!(id)));
            if has_seed != sees || (r != Reach::None) != items.is_some() {
                wrong.push(format!("{model}: list by {name}: {listed}"));
            }
            // update the seed
            let updated = who.post(
                &running,
                &format!("mutation {{ update{model}(input: {{ id: \"{id}\", name: \"changed\" }}) {{ id }} }}"),
            );
            if updated["data"][format!("update{model}")]["id"].is_string() != sees {
                wrong.push(format!("{model}: update by {name}: {updated}"));
            }
        }
        // the events of a new item, its update and its delete reach those who
        // may read it (the mutations select the owner, which owners'
        // subscriptions filter on, as Amplify's generated mutations do)
        let owned = if rules.iter().any(|r| r.allow == "owner") {
            " owner"
        } else {
            ""
        };
        let event = creator.post(
            &running,
            &format!(
                "mutation {{ create{model}(input: {{ name: \"event\" }}) {{ id name{owned} }} }}"
            ),
        );
        let event_id = event["data"][format!("create{model}")]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{event}"))
            .to_string();
        for mutation in [
            format!(
                "mutation {{ update{model}(input: {{ id: \"{event_id}\", name: \"event\" }}) {{ id name{owned} }} }}"
            ),
            format!(
                "mutation {{ delete{model}(input: {{ id: \"{event_id}\" }}) {{ id name{owned} }} }}"
            ),
        ] {
            let done = creator.post(&running, &mutation);
            assert!(done["errors"].is_null(), "{done}");
        }
        // events are sent as the mutations answer: give them time to arrive
        std::thread::sleep(std::time::Duration::from_millis(300));
        for (who, on, matching, mut socket) in sockets {
            let r = reach(rules, who.kind);
            let sees = matching && (r == Reach::All || std::ptr::eq(who, creator));
            let got = next_event(&mut socket);
            if got.is_some() != sees {
                wrong.push(format!(
                    "{model}: {on}'s event reached {:?} ({got:?}), expected {sees}",
                    who.kind
                ));
            }
            let _ = socket.close(None);
        }
        // delete: refused to all who may not reach it, then done by its creator
        for who in callers.iter().filter(|w| !std::ptr::eq(*w, creator)) {
            let r = reach(rules, who.kind);
            if r == Reach::All {
                continue;
            }
            let deleted = who.post(
                &running,
                &format!("mutation {{ delete{model}(input: {{ id: \"{id}\" }}) {{ id }} }}"),
            );
            if deleted["data"][format!("delete{model}")]["id"].is_string() {
                wrong.push(format!("{model}: delete by {:?}: {deleted}", who.kind));
            }
        }
        let deleted = creator.post(
            &running,
            &format!("mutation {{ delete{model}(input: {{ id: \"{id}\" }}) {{ id }} }}"),
        );
        if !deleted["data"][format!("delete{model}")]["id"].is_string() {
            wrong.push(format!("{model}: delete by its creator: {deleted}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ from the rules:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
