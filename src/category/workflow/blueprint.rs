//! What a new workflow starts as: a definition under
//! `blueprints/workflow/<blueprint>/definition.asl.json`, the configuration
//! it needs (a topic, ...), and the functions its Tasks call, each a Node.js
//! (TypeScript) function with its own tests under `functions/<name>/`
//! (the function category's common files around them).

use include_dir::{Dir, include_dir};

use super::WorkflowConfig;

/// What a blueprint's definition writes for the project's storage bucket.
const STORAGE_PLACEHOLDER: &str = "${bucket:STORAGE}";

static BLUEPRINTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/blueprints/workflow");

/// A workflow blueprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Blueprint {
    /// One Pass state, to write your own
    Blank,
    /// Check stock, then charge and reserve in parallel with retries; a failure compensates (adds 4 functions)
    OrderFulfillment,
    /// Clean the input's records (an inline Map), then summarize the storage bucket's objects under a prefix in batches (a distributed Map writing its results back); needs storage (adds 2 functions)
    DataProcessing,
    /// Ask on an SNS topic and wait for the answer with a task token (Standard only)
    HumanApproval,
    /// An activity and its worker (Python) that polls for tasks, sends heartbeats and reports (Standard only)
    ActivityWorker,
}

impl Blueprint {
    pub const ALL: [Blueprint; 5] = [
        Blueprint::Blank,
        Blueprint::OrderFulfillment,
        Blueprint::DataProcessing,
        Blueprint::HumanApproval,
        Blueprint::ActivityWorker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Blueprint::Blank => "blank",
            Blueprint::OrderFulfillment => "order-fulfillment",
            Blueprint::DataProcessing => "data-processing",
            Blueprint::HumanApproval => "human-approval",
            Blueprint::ActivityWorker => "activity-worker",
        }
    }

    /// The definition's text, with the storage resource whose bucket it
    /// reads and writes ([`Blueprint::needs_storage`]) named where the file
    /// has `${bucket:STORAGE}`.
    pub fn definition(self, storage: Option<&str>) -> String {
        let text = BLUEPRINTS
            .get_file(format!("{}/definition.asl.json", self.as_str()))
            .and_then(|f| f.contents_utf8())
            .unwrap_or_default();
        match storage {
            Some(name) => text.replace(STORAGE_PLACEHOLDER, &format!("${{bucket:{name}}}")),
            None => text.to_string(),
        }
    }

    /// Whether the definition reads or writes the storage bucket (the
    /// project must have storage).
    pub fn needs_storage(self) -> bool {
        self.definition(None).contains(STORAGE_PLACEHOLDER)
    }

    /// The configuration the definition needs (its topics, its activities).
    pub fn config(self) -> WorkflowConfig {
        let mut cfg = WorkflowConfig::default();
        match self {
            Blueprint::HumanApproval => cfg.topics = vec!["approvals".into()],
            Blueprint::ActivityWorker => cfg.activities = vec!["packing".into()],
            _ => {}
        }
        cfg
    }

    /// Files written beside the definition (an activity's worker), by
    /// their path under the workflow's folder.
    pub fn extra_files(self) -> Vec<(String, &'static [u8])> {
        let mut out = Vec::new();
        let mut stack: Vec<&Dir<'static>> = BLUEPRINTS
            .get_dir(format!("{}/worker", self.as_str()))
            .into_iter()
            .collect();
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files() {
                if let Ok(rest) = file.path().strip_prefix(self.as_str()) {
                    out.push((rest.to_string_lossy().replace('\\', "/"), file.contents()));
                }
            }
        }
        out.sort();
        out
    }

    /// The functions the definition calls: name and the folder of its
    /// handler and tests.
    pub fn functions(self) -> Vec<(&'static str, &'static Dir<'static>)> {
        let Some(dir) = BLUEPRINTS.get_dir(format!("{}/functions", self.as_str())) else {
            return Vec::new();
        };
        let mut out: Vec<_> = dir
            .dirs()
            .filter_map(|d| Some((d.path().file_name()?.to_str()?, d)))
            .collect();
        out.sort_by_key(|(name, _)| *name);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::workflow::refs::{Scope, analyze};
    use crate::workflow::Definition;
    use crate::workflow::validate::{Severity, validate};

    #[test]
    fn every_blueprint_is_valid_and_names_only_what_it_brings() {
        for blueprint in Blueprint::ALL {
            let text = blueprint.definition(Some("files"));
            assert!(!text.is_empty(), "{blueprint:?}");
            assert!(!text.contains(STORAGE_PLACEHOLDER), "{blueprint:?}");
            let definition = Definition::parse(&text, "definition.asl.json").unwrap();
            let findings = validate(&definition);
            assert!(
                findings.iter().all(|f| f.severity != Severity::Error),
                "{blueprint:?}: {findings:#?}"
            );
            let cfg = blueprint.config();
            let functions: Vec<&str> = blueprint.functions().iter().map(|(n, _)| *n).collect();
            let scope = Scope {
                name: "flow",
                cfg: &cfg,
                functions: functions.clone(),
                workflows: vec!["flow"],
                storages: vec!["files"],
                api: None,
            };
            let analysis = analyze(&definition.value, &scope).unwrap();
            // every function it brings is called
            for f in &functions {
                assert!(
                    analysis.targets.values().any(|t| t.name == *f),
                    "{blueprint:?} brings {f} and does not call it"
                );
            }
        }
        assert_eq!(
            Blueprint::OrderFulfillment
                .functions()
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>(),
            [
                "chargeCard",
                "checkStock",
                "compensateOrder",
                "reserveStock"
            ]
        );
    }

    #[test]
    fn only_data_processing_needs_storage() {
        let needing: Vec<_> = Blueprint::ALL
            .into_iter()
            .filter(|b| b.needs_storage())
            .collect();
        assert_eq!(needing, [Blueprint::DataProcessing]);
        assert!(
            Blueprint::DataProcessing
                .definition(Some("media"))
                .contains("\"Bucket\": \"${bucket:media}\"")
        );
    }

    #[test]
    fn human_approval_cannot_be_express() {
        let blueprint = Blueprint::HumanApproval;
        let definition = Definition::parse(&blueprint.definition(None), "d.json").unwrap();
        let mut cfg = blueprint.config();
        cfg.machine_type = super::super::MachineType::Express;
        let scope = Scope {
            name: "flow",
            cfg: &cfg,
            functions: vec![],
            workflows: vec![],
            storages: vec![],
            api: None,
        };
        let findings = analyze(&definition.value, &scope).unwrap_err();
        assert_eq!(findings[0].pointer, "/States/AskForApproval/Resource");
        assert!(findings[0].message.contains("Express"));
    }
}
