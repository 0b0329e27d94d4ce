//! From a definition's JSON to the tree: every field read once, by name, with
//! the service's defaults, every path and template compiled.

use serde_json::{Map, Value, json};

use super::*;
use crate::workflow::{Definition, intrinsics, pointer_token};

/// A definition the tree cannot hold: something `validate` refuses (the tree
/// accepts every definition `validate` accepts; a property test on mutated
/// real definitions holds hoist to it). What `validate` does not check but the
/// tree cannot compile (a JSONata expression in a catcher, a path nested in an
/// `Assign`) is kept, to fail when it runs as the service would.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at {pointer})")]
pub struct LowerError {
    /// The JSON pointer of the value (`""` for the top level).
    pub pointer: String,
    pub message: String,
}

fn wrong(pointer: &str, message: impl Into<String>) -> LowerError {
    LowerError {
        pointer: pointer.to_string(),
        message: message.into(),
    }
}

type Fields = Map<String, Value>;

/// `field` of an object and its pointer.
fn at(object: &Fields, pointer: &str, field: &str) -> (Option<Value>, String) {
    (
        object.get(field).cloned(),
        format!("{pointer}/{}", pointer_token(field)),
    )
}

impl Machine {
    /// The tree of a definition `validate` accepted.
    pub fn from_definition(definition: &Definition) -> Result<Machine, LowerError> {
        Machine::from_value(&definition.value)
    }

    /// The tree of a definition's JSON. Errors: what `validate` refuses (a
    /// missing `StartAt`, an unknown state type, a path that does not parse, ...),
    /// at its JSON pointer.
    pub fn from_value(value: &Value) -> Result<Machine, LowerError> {
        let mut top = machine(value, "", QueryLanguage::JsonPath)?;
        let text = value.to_string();
        top.reads_execution_input = text.contains("Execution.Input")
            || text.contains("$states.context")
            || text.contains("\"$$\"")
            || text.contains("$$.Execution\"");
        Ok(top)
    }
}

fn language(object: &Fields, inherited: QueryLanguage) -> QueryLanguage {
    match object.get("QueryLanguage").and_then(Value::as_str) {
        Some("JSONata") => QueryLanguage::Jsonata,
        Some(_) => QueryLanguage::JsonPath,
        None => inherited,
    }
}

fn machine(value: &Value, pointer: &str, inherited: QueryLanguage) -> Result<Machine, LowerError> {
    let object = value
        .as_object()
        .ok_or_else(|| wrong(pointer, "a state machine must be an object"))?;
    let query_language = language(object, inherited);
    let start_at = object
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or_else(|| wrong(pointer, "`StartAt` is missing"))?
        .to_string();
    let states = object
        .get("States")
        .and_then(Value::as_object)
        .ok_or_else(|| wrong(pointer, "`States` is missing"))?;
    let states = states
        .iter()
        .map(|(name, s)| {
            state(
                name,
                s,
                &format!("{pointer}/States/{}", pointer_token(name)),
                query_language,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !states.iter().any(|s| s.name == start_at) {
        return Err(wrong(
            &format!("{pointer}/StartAt"),
            format!("`StartAt` names `{start_at}`, which is not a state here"),
        ));
    }
    let index = states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    Ok(Machine {
        pointer: pointer.to_string(),
        start_at,
        states,
        query_language,
        timeout_seconds: object.get("TimeoutSeconds").and_then(Value::as_f64),
        reads_execution_input: false,
        index,
    })
}

fn path(value: &Value, pointer: &str) -> Result<Path, LowerError> {
    let text = value
        .as_str()
        .ok_or_else(|| wrong(pointer, "a path must be a string"))?;
    Path::parse(text).map_err(|e| wrong(pointer, e))
}

fn path_field(object: &Fields, pointer: &str, field: &str) -> Result<PathField, LowerError> {
    Ok(match at(object, pointer, field) {
        (None, _) => PathField::Whole,
        (Some(Value::Null), _) => PathField::Null,
        (Some(v), p) => PathField::Path(path(&v, &p)?),
    })
}

/// `ResultPath`: absent (or, in a catcher, anything but a string or null, as
/// hoist has always read it) the result replaces the input.
fn result_path(object: &Fields, pointer: &str) -> Result<ResultPath, LowerError> {
    Ok(match at(object, pointer, "ResultPath") {
        (Some(Value::Null), _) => ResultPath::Discard,
        (Some(Value::String(p)), at) => {
            ResultPath::Path(ReferencePath::parse(&p).map_err(|e| wrong(&at, e))?)
        }
        _ => ResultPath::Replace,
    })
}

fn template(object: &Fields, field: &str) -> Option<Template> {
    object.get(field).map(Template::compile)
}

fn jsonata(object: &Fields, field: &str) -> Option<Jsonata> {
    object.get(field).map(Jsonata::compile)
}

fn assign(object: &Fields, lang: QueryLanguage) -> Option<Assign> {
    match lang {
        QueryLanguage::JsonPath => template(object, "Assign").map(Assign::JsonPath),
        QueryLanguage::Jsonata => jsonata(object, "Assign").map(Assign::Jsonata),
    }
}

/// A path or an intrinsic function (`ErrorPath`, `CausePath`).
fn path_or_intrinsic(value: &Value, pointer: &str) -> Result<Operand, LowerError> {
    match value.as_str() {
        Some(text) if text.starts_with("States.") => intrinsics::parse(text)
            .map(Operand::Intrinsic)
            .map_err(|e| wrong(pointer, e)),
        _ => path(value, pointer).map(Operand::Path),
    }
}

/// A value given as is, or in a JSONata state as a template of expressions.
fn given(value: &Value, lang: QueryLanguage) -> Operand {
    match lang {
        QueryLanguage::Jsonata => Operand::Jsonata(Jsonata::compile(value)),
        QueryLanguage::JsonPath => Operand::Literal(value.clone()),
    }
}

/// `field` (a number, or a JSONata string) or `<field>Path`.
fn number(
    object: &Fields,
    pointer: &str,
    field: &str,
    lang: QueryLanguage,
) -> Result<Option<Operand>, LowerError> {
    if let Some(v) = object.get(field) {
        return Ok(Some(match (v, lang) {
            (Value::String(_), QueryLanguage::Jsonata) => given(v, lang),
            _ => Operand::Literal(v.clone()),
        }));
    }
    match at(object, pointer, &format!("{field}Path")) {
        (Some(v), p) => Ok(Some(Operand::Path(path(&v, &p)?))),
        (None, _) => Ok(None),
    }
}

fn state(
    name: &str,
    value: &Value,
    pointer: &str,
    inherited: QueryLanguage,
) -> Result<State, LowerError> {
    let object = value
        .as_object()
        .ok_or_else(|| wrong(pointer, format!("the state `{name}` must be an object")))?;
    let lang = language(object, inherited);
    let type_name = object
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| wrong(pointer, format!("the state `{name}` has no `Type`")))?;
    let transition = match object.get("Next").and_then(Value::as_str) {
        Some(next) => Transition::Next(next.to_string()),
        None => Transition::End,
    };
    let flow = match lang {
        QueryLanguage::JsonPath => Flow::JsonPath(Box::new(JsonPathFlow {
            input_path: path_field(object, pointer, "InputPath")?,
            parameters: if type_name == "Map" {
                None
            } else {
                template(object, "Parameters")
            },
            result_selector: template(object, "ResultSelector"),
            result_path: result_path(object, pointer)?,
            output_path: path_field(object, pointer, "OutputPath")?,
            assign: template(object, "Assign"),
        })),
        QueryLanguage::Jsonata => Flow::Jsonata(Box::new(JsonataFlow {
            arguments: jsonata(object, "Arguments"),
            output: jsonata(object, "Output"),
            assign: jsonata(object, "Assign"),
        })),
    };
    let kind = match type_name {
        "Pass" => Kind::Pass {
            result: object.get("Result").cloned(),
        },
        "Task" => Kind::Task(Box::new(TaskState {
            resource: object
                .get("Resource")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            timeout: number(object, pointer, "TimeoutSeconds", lang)?,
            heartbeat: number(object, pointer, "HeartbeatSeconds", lang)?,
            errors: errors(object, pointer, lang)?,
        })),
        "Choice" => Kind::Choice(choice(object, pointer, lang)?),
        "Wait" => Kind::Wait(wait(object, pointer, lang)?),
        "Succeed" => Kind::Succeed,
        "Fail" => {
            // absent: the execution fails with no error and no cause
            let operand = |plain: &str, by_path: &str| -> Result<Option<Operand>, LowerError> {
                if lang == QueryLanguage::JsonPath
                    && let (Some(v), p) = at(object, pointer, by_path)
                {
                    return path_or_intrinsic(&v, &p).map(Some);
                }
                Ok(object.get(plain).map(|v| given(v, lang)))
            };
            Kind::Fail {
                error: operand("Error", "ErrorPath")?,
                cause: operand("Cause", "CausePath")?,
            }
        }
        "Parallel" => {
            let (branches, p) = at(object, pointer, "Branches");
            let branches = branches
                .as_ref()
                .and_then(Value::as_array)
                .ok_or_else(|| wrong(&p, "a Parallel state needs `Branches`"))?
                .iter()
                .enumerate()
                .map(|(i, b)| machine(b, &format!("{p}/{i}"), lang))
                .collect::<Result<_, _>>()?;
            Kind::Parallel(ParallelState {
                branches,
                errors: errors(object, pointer, lang)?,
            })
        }
        "Map" => Kind::Map(Box::new(map(object, pointer, lang)?)),
        other => {
            return Err(wrong(
                &format!("{pointer}/Type"),
                format!("`{other}` is not a state type"),
            ));
        }
    };
    Ok(State {
        name: name.to_string(),
        pointer: pointer.to_string(),
        query_language: lang,
        transition,
        flow,
        kind,
    })
}

fn wait(object: &Fields, pointer: &str, lang: QueryLanguage) -> Result<Wait, LowerError> {
    let operand = |field: &str| -> Result<Option<Operand>, LowerError> {
        let (v, p) = at(object, pointer, field);
        let Some(v) = v else { return Ok(None) };
        Ok(Some(if field.ends_with("Path") {
            Operand::Path(path(&v, &p)?)
        } else {
            given(&v, lang)
        }))
    };
    if let Some(s) = operand("Seconds")?.or(operand("SecondsPath")?) {
        return Ok(Wait::Seconds(s));
    }
    if let Some(t) = operand("Timestamp")?.or(operand("TimestampPath")?) {
        return Ok(Wait::Timestamp(t));
    }
    Ok(Wait::Seconds(Operand::Literal(json!(0))))
}

fn map(object: &Fields, pointer: &str, lang: QueryLanguage) -> Result<MapState, LowerError> {
    let (processor, p) = match at(object, pointer, "ItemProcessor") {
        (Some(v), p) => (v, p),
        (None, _) => match at(object, pointer, "Iterator") {
            (Some(v), p) => (v, p),
            (None, _) => return Err(wrong(pointer, "a Map state needs `ItemProcessor`")),
        },
    };
    let jsonata_state = lang == QueryLanguage::Jsonata;
    let items = if jsonata_state {
        jsonata(object, "Items").map(Operand::Jsonata)
    } else {
        match at(object, pointer, "ItemsPath") {
            (Some(v), p) => Some(Operand::Path(path(&v, &p)?)),
            (None, _) => None,
        }
    };
    let selector_field = if object.contains_key("ItemSelector") || jsonata_state {
        "ItemSelector"
    } else {
        "Parameters"
    };
    let item_selector = if jsonata_state {
        jsonata(object, selector_field).map(Selector::Jsonata)
    } else {
        template(object, selector_field).map(Selector::JsonPath)
    };
    let item_batcher = object
        .get("ItemBatcher")
        .and_then(Value::as_object)
        .map(|b| ItemBatcher {
            max_items: b.get("MaxItemsPerBatch").and_then(Value::as_u64),
            batch_input: if jsonata_state {
                jsonata(b, "BatchInput").map(Selector::Jsonata)
            } else {
                template(b, "BatchInput").map(Selector::JsonPath)
            },
        });
    Ok(MapState {
        processor: machine(&processor, &p, lang)?,
        items,
        item_reader: s3_access(object, "ItemReader", jsonata_state),
        result_writer: s3_access(object, "ResultWriter", jsonata_state),
        label: object
            .get("Label")
            .and_then(Value::as_str)
            .map(str::to_string),
        item_selector,
        item_batcher,
        max_concurrency: number(object, pointer, "MaxConcurrency", lang)?,
        tolerated_failure_count: number(object, pointer, "ToleratedFailureCount", lang)?,
        tolerated_failure_percentage: number(object, pointer, "ToleratedFailurePercentage", lang)?,
        errors: errors(object, pointer, lang)?,
    })
}

/// `ItemReader` or `ResultWriter` (`field`) when it names a `Resource`.
fn s3_access(object: &Fields, field: &str, jsonata_state: bool) -> Option<S3Access> {
    let part = object.get(field)?.as_object()?;
    let resource = part.get("Resource")?.as_str()?.to_string();
    let config = part
        .get("ReaderConfig")
        .or_else(|| part.get("WriterConfig"))
        .cloned();
    let arguments = if jsonata_state {
        jsonata(part, "Arguments").map(Selector::Jsonata)
    } else {
        template(part, "Parameters").map(Selector::JsonPath)
    };
    Some(S3Access {
        resource,
        arguments,
        config,
    })
}

fn error_equals(object: &Fields, pointer: &str) -> Result<Vec<StatesError>, LowerError> {
    let (names, p) = at(object, pointer, "ErrorEquals");
    names
        .as_ref()
        .and_then(Value::as_array)
        .ok_or_else(|| wrong(&p, "`ErrorEquals` must be an array of error names"))?
        .iter()
        .enumerate()
        .map(|(i, n)| {
            n.as_str()
                .map(StatesError::from_name)
                .ok_or_else(|| wrong(&format!("{p}/{i}"), "error names are strings"))
        })
        .collect()
}

fn errors(
    object: &Fields,
    pointer: &str,
    lang: QueryLanguage,
) -> Result<ErrorHandling, LowerError> {
    let list = |field: &str| -> Vec<(Fields, String)> {
        object
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, v)| {
                v.as_object()
                    .map(|o| (o.clone(), format!("{pointer}/{field}/{i}")))
            })
            .collect()
    };
    let retry = list("Retry")
        .iter()
        .map(|(r, p)| {
            Ok(Retrier {
                error_equals: error_equals(r, p)?,
                interval_seconds: r
                    .get("IntervalSeconds")
                    .and_then(Value::as_f64)
                    .unwrap_or(1.0),
                max_attempts: r.get("MaxAttempts").and_then(Value::as_u64).unwrap_or(3) as u32,
                backoff_rate: r.get("BackoffRate").and_then(Value::as_f64).unwrap_or(2.0),
                max_delay_seconds: r.get("MaxDelaySeconds").and_then(Value::as_f64),
                full_jitter: r.get("JitterStrategy").and_then(Value::as_str) == Some("FULL"),
            })
        })
        .collect::<Result<_, LowerError>>()?;
    let catch = list("Catch")
        .iter()
        .map(|(c, p)| {
            Ok(Catcher {
                error_equals: error_equals(c, p)?,
                next: c
                    .get("Next")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                result_path: result_path(c, p)?,
                assign: assign(c, lang),
                output: match lang {
                    QueryLanguage::Jsonata => jsonata(c, "Output"),
                    QueryLanguage::JsonPath => None,
                },
            })
        })
        .collect::<Result<_, LowerError>>()?;
    Ok(ErrorHandling { retry, catch })
}

fn choice(object: &Fields, pointer: &str, lang: QueryLanguage) -> Result<ChoiceState, LowerError> {
    let (rules, p) = at(object, pointer, "Choices");
    let rules = rules
        .as_ref()
        .and_then(Value::as_array)
        .ok_or_else(|| wrong(&p, "a Choice state needs `Choices`"))?
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let at_rule = format!("{p}/{i}");
            let fields = rule
                .as_object()
                .ok_or_else(|| wrong(&at_rule, "a Choice rule must be an object"))?;
            let next = fields
                .get("Next")
                .and_then(Value::as_str)
                .ok_or_else(|| wrong(&at_rule, "a Choice rule needs `Next`"))?
                .to_string();
            Ok(match lang {
                QueryLanguage::Jsonata => ChoiceRule {
                    condition: Condition::Jsonata(
                        jsonata(fields, "Condition")
                            .unwrap_or(Jsonata::Literal(Value::Bool(false))),
                    ),
                    next,
                    assign: assign(fields, lang),
                    output: jsonata(fields, "Output"),
                    pointer: at_rule,
                },
                QueryLanguage::JsonPath => ChoiceRule {
                    condition: Condition::JsonPath(rule_of(rule, &at_rule)?),
                    next,
                    assign: assign(fields, lang),
                    output: None,
                    pointer: at_rule,
                },
            })
        })
        .collect::<Result<_, LowerError>>()?;
    Ok(ChoiceState {
        rules,
        default: object
            .get("Default")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// A JSONPath Choice rule's test: `And`, `Or`, `Not`, or one comparison.
fn rule_of(rule: &Value, pointer: &str) -> Result<Rule, LowerError> {
    let nested = |field: &str| -> Result<Option<Vec<Rule>>, LowerError> {
        let Some(items) = rule.get(field).and_then(Value::as_array) else {
            return Ok(None);
        };
        items
            .iter()
            .enumerate()
            .map(|(i, r)| rule_of(r, &format!("{pointer}/{field}/{i}")))
            .collect::<Result<_, _>>()
            .map(Some)
    };
    if let Some(all) = nested("And")? {
        return Ok(Rule::And(all));
    }
    if let Some(any) = nested("Or")? {
        return Ok(Rule::Or(any));
    }
    if let Some(not) = rule.get("Not") {
        return Ok(Rule::Not(Box::new(rule_of(
            not,
            &format!("{pointer}/Not"),
        )?)));
    }
    let variable = match rule.get("Variable") {
        Some(v) => path(v, &format!("{pointer}/Variable"))?,
        None => Path::parse("$").map_err(|e| wrong(pointer, e))?,
    };
    let operator = rule
        .as_object()
        .into_iter()
        .flatten()
        .find(|(k, _)| !matches!(k.as_str(), "Variable" | "Next" | "Comment" | "Assign"));
    let Some((op, expected)) = operator else {
        return Ok(Rule::Test {
            variable,
            comparison: None,
        });
    };
    let at_op = format!("{pointer}/{}", pointer_token(op));
    let (base, operand) = match op.strip_suffix("Path").filter(|b| !b.starts_with("Is")) {
        Some(base) => (base, Expected::Path(path(expected, &at_op)?)),
        None => (op.as_str(), Expected::Value(expected.clone())),
    };
    let is = |kind: IsKind| Comparison::Is(kind, expected.as_bool().unwrap_or(false));
    let test = match base {
        "IsNull" => is(IsKind::Null),
        "IsPresent" => is(IsKind::Present),
        "IsNumeric" => is(IsKind::Numeric),
        "IsString" => is(IsKind::String),
        "IsBoolean" => is(IsKind::Boolean),
        "IsTimestamp" => is(IsKind::Timestamp),
        "StringMatches" => Comparison::Matches(operand),
        "BooleanEquals" => Comparison::Compare {
            kind: CompareKind::Boolean,
            order: Order::Equals,
            operand,
            operator: base.to_string(),
        },
        _ => {
            let (kind, rest) = if let Some(r) = base.strip_prefix("String") {
                (CompareKind::String, r)
            } else if let Some(r) = base.strip_prefix("Numeric") {
                (CompareKind::Numeric, r)
            } else if let Some(r) = base.strip_prefix("Timestamp") {
                (CompareKind::Timestamp, r)
            } else {
                return Err(wrong(&at_op, format!("`{op}` is not a comparison")));
            };
            let order = match rest {
                "Equals" => Order::Equals,
                "LessThan" => Order::LessThan,
                "GreaterThan" => Order::GreaterThan,
                "LessThanEquals" => Order::LessThanEquals,
                "GreaterThanEquals" => Order::GreaterThanEquals,
                _ => return Err(wrong(&at_op, format!("`{op}` is not a comparison"))),
            };
            Comparison::Compare {
                kind,
                order,
                operand,
                operator: base.to_string(),
            }
        }
    };
    Ok(Rule::Test {
        variable,
        comparison: Some(test),
    })
}
