//! Parallel and Map: branches and iterations run as nested machines, with Map's
//! `MaxConcurrency` on the virtual clock and its tolerated failures.

use super::body::{Count, number};
use super::*;
use crate::workflow::tree::{MapState, Operand, ParallelState, S3Access, Selector};

impl Exec<'_> {
    /// Run sub-machines that start together, `concurrency` at a time (0: all),
    /// on the virtual clock: the state ends when the last one does. Each result
    /// comes with the time it ended.
    pub(super) fn together<T>(
        &mut self,
        count: usize,
        concurrency: usize,
        mut run: impl FnMut(&mut Self, usize) -> T,
    ) -> Vec<(T, f64)> {
        let start = self.clock;
        let slots = if concurrency == 0 {
            count.max(1)
        } else {
            concurrency
        };
        let mut free = vec![start; slots.min(count.max(1))];
        let mut end = start;
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let (slot, at) = free
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(s, t)| (s, *t))
                .unwrap_or((0, start));
            self.clock = at;
            let result = run(self, i);
            out.push((result, self.clock));
            free[slot] = self.clock;
            end = end.max(self.clock);
        }
        self.clock = end;
        out
    }

    pub(super) fn parallel(
        &mut self,
        parallel: &ParallelState,
        input: &Value,
        variables: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        let branches = &parallel.branches;
        self.event("ParallelStateStarted", None);
        let results = self.together(branches.len(), 0, |exec, i| {
            let mut scope = variables.clone();
            exec.machine(&branches[i], input.clone(), &mut scope)
        });
        // a run error (an unmocked Task) first; else the branch that failed first (on the clock)
        if let Some(f) = results
            .iter()
            .find_map(|(r, _)| r.as_ref().err().filter(|f| f.fatal.is_some()))
        {
            return Err(f.clone());
        }
        let first_failure = results
            .iter()
            .filter_map(|(r, at)| r.as_ref().err().map(|f| (f, *at)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(f, _)| f.clone());
        if let Some(f) = first_failure {
            self.event(
                "ParallelStateFailed",
                Some(("parallelStateFailedEventDetails", failure_details(&f))),
            );
            return Err(f);
        }
        let out: Vec<Value> = results.into_iter().filter_map(|(r, _)| r.ok()).collect();
        self.event("ParallelStateSucceeded", None);
        Ok(Value::Array(out))
    }

    pub(super) fn map(
        &mut self,
        name: &str,
        map: &MapState,
        input: &Value,
        variables: &Map<String, Value>,
        bindings: Option<&Map<String, Value>>,
    ) -> Result<Value, Failure> {
        let context = self.context(name, 0, None);
        // the items
        let items = if let Some(reader) = &map.item_reader {
            // a distributed Map reads them from S3: the mock of the Map
            // state gives them, or else the runner reads them
            match self.mocks.answer(name, 0) {
                Some(Response::Return { value, .. }) => value.clone(),
                Some(Response::Throw { error, cause, .. }) => {
                    return Err(raised(StatesError::from_name(error), cause.clone()));
                }
                None => {
                    let arguments = s3_arguments(reader, input, &context, variables, bindings)?;
                    let call = S3Call {
                        state: name,
                        resource: &reader.resource,
                        arguments: &arguments,
                        config: reader.config.as_ref(),
                    };
                    match self.runner.and_then(|r| r.read_items(&call)) {
                        Some(Ok(mut items)) => {
                            if let Some(most) = reader
                                .config
                                .as_ref()
                                .and_then(|c| c.get("MaxItems"))
                                .and_then(Value::as_u64)
                                .filter(|m| *m > 0)
                            {
                                items.truncate(most as usize);
                            }
                            Value::Array(items)
                        }
                        Some(Err((error, cause))) => {
                            return Err(raised(StatesError::from_name(&error), cause));
                        }
                        None => {
                            return Err(Failure {
                                located: true,
                                no_error: false,
                                no_cause: false,
                                state: None,
                                fault: Fault::new(
                                    StatesError::ItemReaderFailed,
                                    format!(
                                        "the Map `{name}` reads its items with ItemReader: mock them under its name"
                                    ),
                                ),
                                fatal: Some(RunError::Unmocked(name.to_string())),
                            });
                        }
                    }
                }
            }
        } else {
            match (&map.items, bindings) {
                (Some(Operand::Jsonata(items)), Some(b)) => items.evaluate("Items", b)?,
                (Some(Operand::Path(p)), _) => p
                    .select(&Scope {
                        input,
                        context: &context,
                        variables,
                    })
                    .map_err(|e| fail(StatesError::Runtime, e.to_string()))?,
                _ => input.clone(),
            }
        };
        let Value::Array(mut items) = items else {
            // JSONata's `Items` is a query: the wrong type is its error
            let error = match (&map.items, bindings) {
                (Some(Operand::Jsonata(_)), Some(_)) => StatesError::QueryEvaluationError,
                _ => StatesError::Runtime,
            };
            return Err(fail(
                error,
                format!("The items of the Map must be a JSON array, but they are: {items}"),
            ));
        };
        // MaxConcurrency and the tolerated failures, checked as the state starts
        let scope = Scope {
            input,
            context: &context,
            variables,
        };
        let jsonata = bindings.unwrap_or(variables);
        let max_concurrency = match &map.max_concurrency {
            Some(op) => number(op, "MaxConcurrency", &scope, jsonata, Count::NonNegative)? as usize,
            None => 0,
        };
        let tolerated_count = match &map.tolerated_failure_count {
            Some(op) => Some(number(
                op,
                "ToleratedFailureCount",
                &scope,
                jsonata,
                Count::NonNegative,
            )? as u64),
            None => None,
        };
        let tolerated_percentage = match &map.tolerated_failure_percentage {
            Some(op) => Some(number(
                op,
                "ToleratedFailurePercentage",
                &scope,
                jsonata,
                Count::Percentage,
            )?),
            None => None,
        };
        if let Some(batcher) = &map.item_batcher {
            let size = batcher
                .max_items
                .unwrap_or(items.len().max(1) as u64)
                .max(1) as usize;
            // evaluated once, against the Map's input ("ItemBatcher (Map)")
            let extra = match (&batcher.batch_input, bindings) {
                (Some(Selector::Jsonata(b_in)), Some(b)) => Some(b_in.evaluate("BatchInput", b)?),
                (Some(Selector::JsonPath(b_in)), _) => Some(b_in.fill(&scope)?),
                _ => None,
            };
            items = items
                .chunks(size)
                .map(|c| {
                    let mut b = json!({ "Items": c });
                    if let Some(extra) = &extra {
                        b["BatchInput"] = extra.clone();
                    }
                    b
                })
                .collect();
        }
        self.event(
            "MapStateStarted",
            Some((
                "mapStateStartedEventDetails",
                json!({ "length": items.len() }),
            )),
        );
        let mut children: Vec<(Value, f64)> = Vec::new();
        let results = self.together(
            items.len(),
            max_concurrency,
            |exec, i| -> Result<Value, Failure> {
                let item = (i, items[i].clone());
                // recorded first, so that a child whose ItemSelector fails keeps its place
                children.push((item.1.clone(), exec.clock));
                let context = exec.context(name, 0, Some(&item));
                let iteration_input = match (&map.item_selector, bindings) {
                    (Some(Selector::Jsonata(sel)), Some(b)) => {
                        let mut b = b.clone();
                        b.insert(
                            "states".into(),
                            json!({ "input": input, "context": context }),
                        );
                        sel.evaluate("ItemSelector", &b)?
                    }
                    (Some(Selector::JsonPath(sel)), _) => sel.fill(&Scope {
                        input,
                        context: &context,
                        variables,
                    })?,
                    _ => item.1.clone(),
                };
                exec.event(
                    "MapIterationStarted",
                    Some((
                        "mapIterationStartedEventDetails",
                        json!({ "name": name, "index": i }),
                    )),
                );
                if let Some(last) = children.last_mut() {
                    last.0 = iteration_input.clone();
                }
                let mut scope = variables.clone();
                let r = exec.machine(&map.processor, iteration_input, &mut scope);
                match &r {
                    Ok(_) => exec.event(
                        "MapIterationSucceeded",
                        Some((
                            "mapIterationSucceededEventDetails",
                            json!({ "name": name, "index": i }),
                        )),
                    ),
                    Err(f) => exec.event(
                        "MapIterationFailed",
                        Some(("mapIterationFailedEventDetails", {
                            let mut d = failure_details(f);
                            d["name"] = json!(name);
                            d["index"] = json!(i);
                            d
                        })),
                    ),
                }
                r
            },
        );
        let failed = results.iter().filter(|(r, _)| r.is_err()).count();
        // the children exported as the ResultWriter says (before the
        // threshold is checked: a failed map run's results are exported too)
        let exported = match (&map.result_writer, self.runner) {
            (Some(writer), Some(runner))
                if results
                    .iter()
                    .all(|(r, _)| r.as_ref().err().is_none_or(|f| f.fatal.is_none())) =>
            {
                let arguments = s3_arguments(writer, input, &context, variables, bindings)?;
                let call = S3Call {
                    state: name,
                    resource: &writer.resource,
                    arguments: &arguments,
                    config: writer.config.as_ref(),
                };
                let errors: Vec<Value> = results
                    .iter()
                    .map(|(r, _)| r.as_ref().err().map(error_output).unwrap_or(Value::Null))
                    .collect();
                let runs: Vec<ChildRun<'_>> = results
                    .iter()
                    .zip(&children)
                    .zip(&errors)
                    .enumerate()
                    .map(|(index, (((r, stop), (input, start)), error))| ChildRun {
                        index,
                        input,
                        outcome: r.as_ref().map_err(|_| error),
                        start: *start,
                        stop: *stop,
                    })
                    .collect();
                let map_run_arn = map_run_arn(&context, map.label.as_deref().unwrap_or(name));
                match runner.write_results(&call, &map_run_arn, &runs) {
                    Some(Ok(details)) => Some(json!({
                        "MapRunArn": map_run_arn,
                        "ResultWriterDetails": details,
                    })),
                    Some(Err((error, cause))) => {
                        self.event("MapStateFailed", None);
                        return Err(raised(StatesError::from_name(&error), cause));
                    }
                    None => None,
                }
            }
            _ => None,
        };
        let mut out = Vec::new();
        for (r, _) in results {
            match r {
                Ok(v) => out.push(v),
                Err(f) if f.fatal.is_some() => return Err(f),
                Err(f) => {
                    if tolerated_count.is_none() && tolerated_percentage.is_none() {
                        self.event("MapStateFailed", None);
                        return Err(f);
                    }
                    out.push(error_output(&f));
                }
            }
        }
        if failed > 0 {
            let over_count = tolerated_count.is_some_and(|c| failed as u64 > c);
            let over_share = tolerated_percentage
                .is_some_and(|p| (failed as f64) * 100.0 / (out.len().max(1) as f64) > p);
            let within = (tolerated_count.is_some() && !over_count)
                || (tolerated_percentage.is_some() && !over_share);
            if !within {
                self.event("MapStateFailed", None);
                return Err(fail(
                    StatesError::ExceedToleratedFailureThreshold,
                    format!(
                        "{failed} of {} items failed, more than the Map `{name}` tolerates",
                        out.len()
                    ),
                ));
            }
        }
        self.event("MapStateSucceeded", None);
        Ok(exported.unwrap_or(Value::Array(out)))
    }
}

/// An `ItemReader`'s or `ResultWriter`'s arguments, evaluated against the
/// Map's input (JSONPath's `Parameters` or JSONata's `Arguments`).
fn s3_arguments(
    access: &S3Access,
    input: &Value,
    context: &Value,
    variables: &Map<String, Value>,
    bindings: Option<&Map<String, Value>>,
) -> Result<Value, Failure> {
    match (&access.arguments, bindings) {
        (Some(Selector::Jsonata(arguments)), Some(b)) => Ok(arguments.evaluate("Arguments", b)?),
        (Some(Selector::JsonPath(parameters)), _) => Ok(parameters.fill(&Scope {
            input,
            context,
            variables,
        })?),
        _ => Ok(json!({})),
    }
}

/// A map run's ARN: `arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>`
/// ("Map Run", Step Functions developer guide).
fn map_run_arn(context: &Value, label: &str) -> String {
    let machine = context["StateMachine"]["Id"].as_str().unwrap_or_default();
    format!(
        "{}/{label}:{}",
        machine.replacen(":stateMachine:", ":mapRun:", 1),
        uuid::Uuid::new_v4()
    )
}

/// A distributed Map's call to S3: its `ItemReader` or its `ResultWriter`,
/// with its `Parameters`/`Arguments` evaluated against the Map's input.
#[derive(Debug)]
pub struct S3Call<'a> {
    pub state: &'a str,
    /// `arn:aws:states:::s3:listObjectsV2`, `...:s3:getObject` or `...:s3:putObject`.
    pub resource: &'a str,
    /// `Bucket`, and `Prefix` or `Key`.
    pub arguments: &'a Value,
    /// `ReaderConfig` or `WriterConfig`, as written.
    pub config: Option<&'a Value>,
}

/// One child execution of a distributed Map, as its `ResultWriter` exports it.
#[derive(Debug)]
pub struct ChildRun<'a> {
    pub index: usize,
    /// Its input (after `ItemSelector` and `ItemBatcher`).
    pub input: &'a Value,
    /// Its output, or its failure (`Error`, `Cause`).
    pub outcome: Result<&'a Value, &'a Value>,
    /// Its start and stop, in seconds since the epoch.
    pub start: f64,
    pub stop: f64,
}

#[cfg(test)]
mod tests {
    use super::super::{Mocks, Options, Status, TaskCall, TaskRunner, run_with};
    use super::*;
    use crate::workflow::tree::Machine;
    use std::cell::RefCell;

    /// Lists three keys, and keeps what it is asked to write.
    #[derive(Default)]
    struct Bucket {
        listed: RefCell<Option<Value>>,
        written: RefCell<Vec<(Value, String, Vec<Value>)>>,
    }

    impl TaskRunner for Bucket {
        fn run(&self, call: &TaskCall<'_>) -> Response {
            let items = call.parameters["Items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if items.iter().any(|i| i["Key"] == "bad") {
                return Response::Throw {
                    error: "Bad".into(),
                    cause: "a bad key".into(),
                    delay: 0.0,
                    heartbeats: true,
                };
            }
            Response::Return {
                value: json!({ "count": items.len(), "prefix": call.parameters["BatchInput"]["prefix"] }),
                delay: 0.0,
                heartbeats: true,
            }
        }

        fn read_items(&self, call: &S3Call<'_>) -> Option<Result<Vec<Value>, (String, String)>> {
            *self.listed.borrow_mut() = Some(call.arguments.clone());
            Some(Ok(["a", "b", "bad", "beyond MaxItems"]
                .iter()
                .map(|k| json!({ "Key": k }))
                .collect()))
        }

        fn write_results(
            &self,
            call: &S3Call<'_>,
            map_run_arn: &str,
            children: &[ChildRun<'_>],
        ) -> Option<Result<Value, (String, String)>> {
            let outcomes = children
                .iter()
                .map(|c| match c.outcome {
                    Ok(v) => json!({ "in": c.input, "out": v }),
                    Err(e) => json!({ "in": c.input, "failed": e }),
                })
                .collect();
            self.written.borrow_mut().push((
                call.arguments.clone(),
                map_run_arn.to_string(),
                outcomes,
            ));
            Some(Ok(json!({ "Bucket": "out", "Key": "m.json" })))
        }
    }

    #[test]
    fn a_distributed_map_reads_batches_and_exports_through_the_runner() {
        let d = json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                "Parameters": {"Bucket": "in", "Prefix.$": "$.prefix"},
                "ReaderConfig": {"MaxItems": 3}},
            "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"prefix.$": "$.prefix"}},
            "ToleratedFailureCount": 1,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"Items.$": "$.Items", "BatchInput.$": "$.BatchInput"}, "End": true}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "out", "Prefix.$": "$.prefix"}},
            "Label": "Files",
            "End": true}}});
        let machine = Machine::from_value(&d).unwrap();
        let bucket = Bucket::default();
        let outcome = run_with(
            &machine,
            json!({"prefix": "p/"}),
            &Mocks::parse(&json!({}), None).unwrap(),
            &Options::default(),
            Some(&bucket),
        )
        .unwrap();
        assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
        assert_eq!(
            *bucket.listed.borrow(),
            Some(json!({"Bucket": "in", "Prefix": "p/"}))
        );
        let output = outcome.output.unwrap();
        assert_eq!(
            output["ResultWriterDetails"],
            json!({"Bucket": "out", "Key": "m.json"})
        );
        let run_arn = output["MapRunArn"].as_str().unwrap();
        assert!(run_arn.contains(":mapRun:local/Files:"), "{run_arn}");
        let written = bucket.written.borrow();
        let (arguments, arn, children) = &written[0];
        assert_eq!(arguments, &json!({"Bucket": "out", "Prefix": "p/"}));
        assert_eq!(arn, run_arn);
        // two batches, each with the evaluated BatchInput; the second failed
        assert_eq!(
            children[0],
            json!({"in": {"Items": [{"Key": "a"}, {"Key": "b"}], "BatchInput": {"prefix": "p/"}},
                   "out": {"count": 2, "prefix": "p/"}})
        );
        assert_eq!(
            children[1]["failed"],
            json!({"Error": "Bad", "Cause": "a bad key"})
        );
        // MaxItems: the fourth item was not read
        assert_eq!(children[1]["in"]["Items"], json!([{"Key": "bad"}]));
        assert_eq!(children.len(), 2);
    }

    #[test]
    fn a_child_whose_selector_fails_keeps_its_place_in_the_export() {
        let d = json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "in"}},
            "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "n.$": "States.StringToJson($$.Map.Item.Value.Key)"},
            "ToleratedFailurePercentage": 100,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out"}},
            "End": true}}});
        let machine = Machine::from_value(&d).unwrap();
        let bucket = Bucket::default();
        run_with(
            &machine,
            json!({}),
            &Mocks::parse(&json!({}), None).unwrap(),
            &Options::default(),
            Some(&bucket),
        )
        .unwrap();
        let written = bucket.written.borrow();
        let children = &written[0].2;
        // "a" and "b" are not JSON: their selectors fail; each child keeps its own item
        assert_eq!(children.len(), 4, "{children:?}");
        assert_eq!(children[0]["in"], json!({"Key": "a"}));
        assert!(children[0].get("failed").is_some());
        assert_eq!(children[3]["in"], json!({"Key": "beyond MaxItems"}));
    }
}
