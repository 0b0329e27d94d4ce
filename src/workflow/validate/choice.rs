//! Choice rules: one comparison per rule, the right operand types, nesting.

use super::*;

impl Checker {
    /// A Choice rule; returns its `Next` (top-level rules).
    pub(super) fn choice_rule(
        &mut self,
        rule: &Value,
        at: &str,
        top: bool,
        jsonata: bool,
    ) -> Option<String> {
        let Some(object) = rule.as_object() else {
            self.error(
                at,
                "a Choice rule must be an object",
                "with a comparison and `Next`",
            );
            return None;
        };
        let next = match object.get("Next") {
            Some(Value::String(n)) if top => Some(n.clone()),
            Some(_) if !top => {
                self.error_at_key(
                    &format!("{at}/Next"),
                    "only the top-level rules of `Choices` have `Next`",
                    "remove `Next` from this nested rule",
                );
                None
            }
            Some(_) => {
                self.error(
                    &format!("{at}/Next"),
                    "`Next` must be a state's name",
                    "give the state to go to",
                );
                None
            }
            None if top => {
                self.error(
                    at,
                    "a Choice rule needs `Next`",
                    "name the state to go to when the rule matches",
                );
                None
            }
            None => None,
        };
        if jsonata {
            for k in object.keys() {
                if !["Condition", "Next", "Comment", "Assign", "Output"].contains(&k.as_str()) {
                    self.error_at_key(&format!("{at}/{}", pointer_token(k)), format!("`{k}` is not a field of a JSONata Choice rule"), "JSONata rules have `Condition` (a `{% %}` expression), `Next`, `Assign`, `Output`, `Comment`");
                }
            }
            match object.get("Condition") {
                Some(Value::Bool(_)) => {}
                Some(Value::String(c)) if jsonata::expression(c).is_some() => {}
                _ => self.error(
                    at,
                    "a JSONata Choice rule needs `Condition`, a `{% %}` expression",
                    "for example \"{% $states.input.total > 100 %}\"",
                ),
            }
            if let Some(a) = object.get("Assign") {
                self.assign(&format!("{at}/Assign"), a, true);
            }
            return next;
        }
        if let Some(a) = object.get("Assign") {
            if !top {
                self.error_at_key(
                    &format!("{at}/Assign"),
                    "only top-level Choice rules have `Assign`",
                    "move it to the top-level rule",
                );
            }
            self.assign(&format!("{at}/Assign"), a, false);
        }
        let mut operators = Vec::new();
        for (k, v) in object {
            let p = format!("{at}/{}", pointer_token(k));
            match k.as_str() {
                "Next" | "Comment" | "Variable" | "Assign" => {}
                "And" | "Or" => {
                    operators.push(k.clone());
                    match v.as_array() {
                        Some(rules) if !rules.is_empty() => {
                            for (i, r) in rules.iter().enumerate() {
                                self.choice_rule(r, &format!("{p}/{i}"), false, false);
                            }
                        }
                        _ => self.error(&p, format!("`{k}` must be a non-empty array of rules"), "each rule a comparison (without `Next`)"),
                    }
                }
                "Not" => {
                    operators.push(k.clone());
                    if v.is_object() {
                        self.choice_rule(v, &p, false, false);
                    } else {
                        self.error(&p, "`Not` must be one rule (an object)", "for example {\"Variable\": \"$.x\", \"IsPresent\": true}");
                    }
                }
                other => match comparison(other) {
                    Some(kind) => {
                        operators.push(k.clone());
                        let ok = match kind {
                            "string" => v.is_string(),
                            "number" => v.is_number(),
                            "boolean" => v.is_boolean(),
                            "timestamp" => v.as_str().is_some_and(is_timestamp),
                            _ => match v.as_str() {
                                Some(path) => {
                                    self.path(&p, path);
                                    true
                                }
                                None => false,
                            },
                        };
                        if !ok {
                            self.error(&p, format!("`{k}` compares with a {kind}, not {}", kind_of(v)), match kind {
                                "timestamp" => "give an RFC 3339 timestamp, like \"2026-01-01T00:00:00Z\"",
                                "path" => "give a path to the value to compare with",
                                _ => "give a value of that type",
                            });
                        }
                    }
                    None => self.error_at_key(&p, format!("`{k}` is not a Choice rule field"), "a rule has `Variable` and one comparison (StringEquals, NumericGreaterThan, IsPresent, ...), or `And`, `Or`, `Not`"),
                },
            }
        }
        let boolean = operators
            .iter()
            .any(|o| o == "And" || o == "Or" || o == "Not");
        if operators.len() != 1 {
            self.error(
                at,
                if operators.is_empty() {
                    "a Choice rule needs a comparison".to_string()
                } else {
                    format!(
                        "a Choice rule has one comparison, not {}: {}",
                        operators.len(),
                        operators.join(", ")
                    )
                },
                "split it with `And` or `Or`",
            );
        } else if boolean && object.contains_key("Variable") {
            self.error_at_key(
                &format!("{at}/Variable"),
                "`And`, `Or` and `Not` rules have no `Variable`",
                "put `Variable` in each nested rule",
            );
        } else if !boolean {
            match object.get("Variable") {
                Some(Value::String(v)) => self.path(&format!("{at}/Variable"), v),
                Some(_) => self.error(
                    &format!("{at}/Variable"),
                    "`Variable` must be a path",
                    "for example \"$.status\"",
                ),
                None => self.error(
                    at,
                    "a comparison needs `Variable`, the path of the value to compare",
                    "for example \"Variable\": \"$.status\"",
                ),
            }
        }
        next
    }
}
