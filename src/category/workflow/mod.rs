//! The workflow category: Step Functions state machines inside the app.
//!
//! A workflow is `[workflow.<name>]` in hoist.toml and its definition,
//! `hoist/workflow/<name>/definition.asl.json`, which names the project's
//! resources by name (`${function:chargeCard}`, `${table:Order}`,
//! `${topic:approvals}`, ...: [`refs`]). Synthesis validates the definition
//! with the local engine ([`crate::workflow::validate`]), turns those names
//! into CloudFormation's `DefinitionSubstitutions`, and gives the machine a
//! role whose statements are derived from its Task states and nothing else
//! ([`stack`]).

pub mod blueprint;
pub mod refs;
pub mod stack;
pub mod triggers;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Problem;

/// Standard or Express ("Choosing workflow type in Step Functions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MachineType {
    /// Exactly once, up to a year, with an execution history: waits for task tokens, activities and `.sync` jobs
    #[default]
    Standard,
    /// At least once, up to five minutes, high volume: no task tokens, activities or `.sync` jobs
    Express,
}

impl MachineType {
    /// `STANDARD` or `EXPRESS`, as `StateMachineType` takes it.
    pub fn cfn(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }
}

/// Which execution events CloudWatch Logs receives (`LoggingConfiguration.Level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Every event
    All,
    /// Failures: failed, timed out and aborted executions and states
    #[default]
    Error,
    /// Only the execution's own failure
    Fatal,
    /// No log group
    Off,
}

impl LogLevel {
    pub fn cfn(self) -> &'static str {
        match self {
            LogLevel::All => "ALL",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
            LogLevel::Off => "OFF",
        }
    }
}

/// `[workflow.<name>]` in hoist.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    #[serde(rename = "type", default)]
    pub machine_type: MachineType,
    /// What execution events are logged (a log group with the retention
    /// below, unless `OFF`).
    #[serde(default)]
    pub log_level: LogLevel,
    /// Whether the logs carry states' input and output (they may hold
    /// personal data: off unless asked).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_execution_data: bool,
    /// X-Ray tracing of executions.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub tracing: bool,
    /// Days CloudWatch keeps the logs (one of its periods).
    #[serde(default = "thirty", skip_serializing_if = "is_thirty")]
    pub log_retention_days: u16,
    /// Activities of this workflow (`AWS::StepFunctions::Activity`), named in
    /// the definition as `${activity:<name>}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<String>,
    /// SNS topics of this workflow, named as `${topic:<name>}` (their ARN).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// SQS queues of this workflow, named as `${queue:<name>}` (their URL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    /// Who may start it from the app with the AWS SDK, through the identity
    /// pool's roles: `signed-in`, `guests`, `group:<name>` ([`Starter`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start_by: Vec<String>,
    /// A REST endpoint, `POST /workflows/<name>`, that starts it, and who
    /// may call it ([`triggers`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<triggers::ApiAuth>,
    /// EventBridge schedules that start it: `rate(1 day)`, `cron(0 12 * * ? *)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<String>,
    /// EventBridge event patterns (JSON) on the default bus whose events start
    /// it, each event as the execution's input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

/// Who may start a workflow from the app (`start_by`): the identity pool's
/// role for signed-in users, for guests, or a user pool group's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Starter {
    SignedIn,
    Guests,
    Group(String),
}

impl Starter {
    /// `signed-in`, `guests` or `group:<name>`.
    ///
    /// Errors: the reason, in words.
    pub fn parse(text: &str) -> Result<Starter, String> {
        match text {
            "signed-in" => Ok(Starter::SignedIn),
            "guests" => Ok(Starter::Guests),
            _ => match text.strip_prefix("group:") {
                Some(group) if !group.is_empty() => Ok(Starter::Group(group.to_string())),
                _ => Err(format!(
                    "`{text}` is not who may start a workflow: write `signed-in`, `guests` or `group:<name>`"
                )),
            },
        }
    }
}

fn yes() -> bool {
    true
}
fn is_yes(b: &bool) -> bool {
    *b
}
fn thirty() -> u16 {
    30
}
fn is_thirty(d: &u16) -> bool {
    *d == 30
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        WorkflowConfig {
            machine_type: MachineType::Standard,
            log_level: LogLevel::Error,
            include_execution_data: false,
            tracing: true,
            log_retention_days: 30,
            activities: Vec::new(),
            topics: Vec::new(),
            queues: Vec::new(),
            start_by: Vec::new(),
            api: None,
            schedules: Vec::new(),
            events: Vec::new(),
        }
    }
}

impl WorkflowConfig {
    /// What is wrong in the table of the workflow `name`, each at its key.
    pub fn problems(&self, name: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        if !crate::category::api::LOG_RETENTION_DAYS.contains(&self.log_retention_days) {
            out.push(Problem::new(
                &["log_retention_days"],
                format!(
                    "{} days is not a retention CloudWatch Logs offers",
                    self.log_retention_days
                ),
                "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653",
            ));
        }
        for (key, list) in [
            ("activities", &self.activities),
            ("topics", &self.topics),
            ("queues", &self.queues),
        ] {
            let mut seen = std::collections::BTreeSet::new();
            for (i, item) in list.iter().enumerate() {
                let name = item.as_str();
                let index = i.to_string();
                if let Err(e) = crate::category::function::validate_name(name) {
                    out.push(Problem::new(
                        &[key, &index],
                        format!("`{name}` is not a name for one of its {key}: {}", e.problem),
                        "a name has 2 to 40 letters and digits, starting with a letter (for example `approvals`)",
                    ));
                } else if !seen.insert(name.to_ascii_lowercase()) {
                    out.push(Problem::new(
                        &[key, &index],
                        format!(
                            "`{name}` is in `{key}` twice (names differing only in case are one)"
                        ),
                        "remove one",
                    ));
                }
            }
        }
        for (i, text) in self.start_by.iter().enumerate() {
            if let Err(why) = Starter::parse(text) {
                out.push(Problem::new(
                    &["start_by", &i.to_string()],
                    why,
                    "`signed-in` (users of the user pool), `guests` (with auth's guest access) or `group:Admins`",
                ));
            }
        }
        out.extend(triggers::problems(self));
        for (i, activity) in self.activities.iter().enumerate() {
            // Step Functions names are at most 80 characters; environments have 10
            let longest = name.len() + activity.len() + 2 + crate::project::ENV_NAME_MAX;
            if longest > 80 {
                out.push(Problem::new(
                    &["activities", &i.to_string()],
                    format!(
                        "the activity's name in Step Functions, `{name}-{activity}-<env>`, may have {longest} characters, and Step Functions takes 80"
                    ),
                    "shorten the activity's name (or the workflow's)",
                ));
            }
        }
        out
    }
}

/// The first thing wrong with hoist.toml's workflows, at its key path: a
/// name, a value of its table, or who starts it against the project's auth.
pub fn manifest_problem(manifest: &crate::project::Manifest) -> Result<(), Problem> {
    let mut lowered = std::collections::BTreeMap::new();
    for (name, workflow) in &manifest.workflow {
        crate::category::workflow::validate_name(name)
            .map_err(|e| Problem::new(&["workflow", name], e.to_string(), e.rule))?;
        if let Some(other) = lowered.insert(name.to_ascii_lowercase(), name) {
            return Err(Problem::new(
                &["workflow", name],
                format!("the workflows `{other}` and `{name}` differ only in case"),
                "rename one: their stacks would be the same",
            ));
        }
        if let Some(problem) = workflow.problems(name).into_iter().next() {
            let mut keys = vec!["workflow".to_string(), name.clone()];
            keys.extend(problem.keys);
            return Err(Problem { keys, ..problem });
        }
        // who starts it from the app: through the identity pool's roles
        let auth = manifest.auth.iter().next();
        if workflow.api == Some(triggers::ApiAuth::UserPool) && auth.is_none() {
            return Err(Problem::new(
                &["workflow", name, "api"],
                "`user-pool`: the endpoint takes the user pool's tokens, and the project has no auth".into(),
                "add auth first (`hoist add auth`), or write `api = \"iam\"`",
            ));
        }
        for (i, text) in workflow.start_by.iter().enumerate() {
            let Ok(starter) = Starter::parse(text) else {
                continue;
            };
            let index = i.to_string();
            let keys = ["workflow", name.as_str(), "start_by", index.as_str()];
            match (&starter, auth) {
                (_, None) => {
                    return Err(Problem::new(
                        &keys,
                        format!(
                            "`{text}` starts it through the identity pool, and the project has no auth"
                        ),
                        "add auth first (`hoist add auth`), or remove the line",
                    ));
                }
                (Starter::Guests, Some((auth_name, a))) if !a.guest_access => {
                    return Err(Problem::new(
                        &keys,
                        format!("`guests`: the auth `{auth_name}` gives guests no credentials"),
                        &format!("let guests in first: `hoist update auth {auth_name} --guest`"),
                    ));
                }
                (Starter::Group(group), Some((auth_name, a)))
                    if !a.groups.iter().any(|g| g.name == *group) =>
                {
                    return Err(Problem::new(
                        &keys,
                        format!("`{text}`: the auth `{auth_name}` has no group `{group}`"),
                        &format!("add it: `hoist update auth {auth_name} --group {group}`"),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Where a workflow's definition is, from the project's root.
pub fn definition_path(name: &str) -> PathBuf {
    ["hoist", "workflow", name, "definition.asl.json"]
        .iter()
        .collect()
}

/// The state machine's name: `<name>-<env>` (at most 80 characters, and
/// only letters, digits, `-` and `_` for CloudWatch logging: "CreateStateMachine").
pub fn machine_name(name: &str, env: &str) -> String {
    format!("{name}-{env}")
}

/// An activity's name in Step Functions: `<workflow>-<activity>-<env>`
/// (at most 80 characters: [`WorkflowConfig::problems`] checks).
pub fn activity_name(workflow: &str, activity: &str, env: &str) -> String {
    format!("{workflow}-{activity}-{env}")
}

/// A workflow's name, or one of its activities', topics' or queues':
/// 2 to 40 letters and digits, starting with a letter (`orderFulfillment`).
pub fn validate_name(name: &str) -> Result<(), crate::project::NameError> {
    crate::category::function::validate_name(name).map_err(|mut e| {
        e.what = "workflow name";
        e.rule = "a workflow's name has 2 to 40 letters and digits, starting with a letter (for example `orders` or `approval`)";
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_written_out_only_when_changed() {
        let cfg = WorkflowConfig::default();
        let text = toml::to_string(&cfg).unwrap();
        assert_eq!(text, "type = \"standard\"\nlog_level = \"ERROR\"\n");
        let back: WorkflowConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, cfg);
        let express: WorkflowConfig =
            toml::from_str("type = \"express\"\nlog_level = \"ALL\"\ntracing = false\n").unwrap();
        assert_eq!(express.machine_type, MachineType::Express);
        assert!(!express.tracing);
    }

    #[test]
    fn problems_are_found_at_their_keys() {
        let mut cfg = WorkflowConfig {
            log_retention_days: 8,
            ..Default::default()
        };
        cfg.topics = vec!["approvals".into(), "Approvals".into(), "bad-name".into()];
        // `<40 letters>-<40 letters>-<env of 10>` passes Step Functions' 80
        cfg.activities = vec!["a".repeat(40)];
        let problems = cfg.problems(&"w".repeat(40));
        let keys: Vec<Vec<String>> = problems.iter().map(|p| p.keys.clone()).collect();
        assert_eq!(
            keys,
            vec![
                vec!["log_retention_days".to_string()],
                vec!["topics".into(), "1".into()],
                vec!["topics".into(), "2".into()],
                vec!["activities".into(), "0".into()],
            ]
        );
        assert!(problems[1].message.contains("is in `topics` twice"));
        assert!(
            problems[3].message.contains("may have 92 characters"),
            "{}",
            problems[3].message
        );
        assert!(cfg.problems("orders").len() == 3);
    }
}
