//! Map states: `ItemProcessor`/`Iterator`, item sources, batching, tolerated failures.

use super::*;

impl Checker {
    pub(super) fn map(
        &mut self,
        object: &serde_json::Map<String, Value>,
        at: &str,
        language: &str,
        jsonata: bool,
        targets: &mut Vec<(String, String)>,
    ) {
        self.retry_catch(object, at, jsonata, targets);
        let processor = match (object.get("ItemProcessor"), object.get("Iterator")) {
            (Some(p), None) => Some((p, "ItemProcessor")),
            (None, Some(i)) => Some((i, "Iterator")),
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "a Map state has `ItemProcessor` or (the older) `Iterator`, not both",
                    "keep `ItemProcessor`",
                );
                None
            }
            (None, None) => {
                self.error(
                    at,
                    "a Map state needs `ItemProcessor`, the state machine run for each item",
                    "add `\"ItemProcessor\": { \"StartAt\": ..., \"States\": { ... } }`",
                );
                None
            }
        };
        let mut distributed = false;
        if let Some((p, field)) = processor {
            let at_p = format!("{at}/{field}");
            if let Some(config) = p.get("ProcessorConfig") {
                let mode = config
                    .get("Mode")
                    .and_then(Value::as_str)
                    .unwrap_or("INLINE");
                match mode {
                    "INLINE" => {}
                    "DISTRIBUTED" => distributed = true,
                    _ => self.error(
                        &format!("{at_p}/ProcessorConfig/Mode"),
                        "`Mode` must be \"INLINE\" or \"DISTRIBUTED\"",
                        "INLINE runs the items in this execution; DISTRIBUTED in child executions",
                    ),
                }
                if let Some(t) = config.get("ExecutionType") {
                    if !distributed {
                        self.error_at_key(
                            &format!("{at_p}/ProcessorConfig/ExecutionType"),
                            "`ExecutionType` is for distributed Maps",
                            "set `\"Mode\": \"DISTRIBUTED\"` or remove it",
                        );
                    } else if !matches!(t.as_str(), Some("STANDARD" | "EXPRESS")) {
                        self.error(
                            &format!("{at_p}/ProcessorConfig/ExecutionType"),
                            "`ExecutionType` must be \"STANDARD\" or \"EXPRESS\"",
                            "the kind of child executions",
                        );
                    }
                }
            }
            let allowed: &[&str] = if field == "ItemProcessor" {
                &[
                    "Comment",
                    "StartAt",
                    "States",
                    "ProcessorConfig",
                    "QueryLanguage",
                ]
            } else {
                // the service takes ProcessorConfig in the older field too
                &["Comment", "StartAt", "States", "ProcessorConfig"]
            };
            self.machine(p, &at_p, language, allowed);
        }
        for field in [
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCountPath",
        ] {
            if object.contains_key(field) && !distributed {
                self.error_at_key(&format!("{at}/{field}"), format!("`{field}` is for distributed Maps"), "set `\"ProcessorConfig\": { \"Mode\": \"DISTRIBUTED\" }` in `ItemProcessor`, or remove it");
            }
        }
        if let Some(v) = object.get("MaxConcurrency")
            && v.as_u64().is_none()
            && !(jsonata && v.as_str().and_then(jsonata::expression).is_some())
        {
            self.error(
                &format!("{at}/MaxConcurrency"),
                "`MaxConcurrency` must be a non-negative integer",
                "0 means as many as possible",
            );
        }
        if let Some(v) = object.get("ToleratedFailurePercentage")
            && !v.as_f64().is_some_and(|p| (0.0..=100.0).contains(&p))
        {
            self.error(
                &format!("{at}/ToleratedFailurePercentage"),
                "`ToleratedFailurePercentage` must be between 0 and 100",
                "the share of items that may fail",
            );
        }
        if let Some(v) = object.get("ToleratedFailureCount")
            && v.as_u64().is_none()
        {
            self.error(
                &format!("{at}/ToleratedFailureCount"),
                "`ToleratedFailureCount` must be a non-negative integer",
                "how many items may fail",
            );
        }
        if let Some(v) = object.get("Label")
            && !v
                .as_str()
                .is_some_and(|l| l.chars().count() <= 40 && !l.contains(' '))
        {
            self.error(
                &format!("{at}/Label"),
                "`Label` must be a string of at most 40 characters, without spaces",
                "it names the child executions",
            );
        }
        if object.contains_key("ItemsPath") && object.contains_key("ItemReader") {
            self.error(
                at,
                "a Map reads its items from `ItemsPath` or `ItemReader`, not both",
                "keep one",
            );
        }
        if object.contains_key("Parameters") && object.contains_key("ItemSelector") {
            self.error(
                at,
                "`Parameters` is the older name of `ItemSelector`: use one",
                "keep `ItemSelector`",
            );
        }
        if let Some(items) = object.get("Items")
            && !(items.is_array() || items.as_str().and_then(jsonata::expression).is_some())
        {
            self.error(
                &format!("{at}/Items"),
                "`Items` must be an array or a `{% %}` expression",
                "for example \"{% $states.input.orders %}\"",
            );
        }
    }
}
