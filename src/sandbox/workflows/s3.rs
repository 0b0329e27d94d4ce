//! A distributed Map's S3 calls in the sandbox: its `ItemReader` reads the
//! sandbox's buckets (the objects under a prefix, or the records of one JSON,
//! JSON Lines or CSV object) and its `ResultWriter` exports the children's
//! results to them, in the layout Step Functions writes ("ItemReader (Map)",
//! "ResultWriter (Map)", Step Functions developer guide): under
//! `<Prefix>/<map run id>/`, `SUCCEEDED_0.json`, `FAILED_0.json` and a
//! `manifest.json` listing them; the Map's output then names the manifest.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::sandbox::s3::objects::{Headers, Objects};
use crate::workflow::run::{ChildRun, S3Call};

/// The sandbox's buckets by their (sandbox) name.
pub type Buckets = BTreeMap<String, Arc<Objects>>;

/// The most items the sandbox reads for one Map: each is a child run in
/// this process, so a larger dataset is a mistake to be told of, not a wait.
pub const MOST_ITEMS: usize = 100_000;

type Failed = (String, String);

fn reader_failed(cause: impl Into<String>) -> Failed {
    ("States.ItemReaderFailed".into(), cause.into())
}

fn writer_failed(cause: impl Into<String>) -> Failed {
    ("States.ResultWriterFailed".into(), cause.into())
}

/// The S3 action of a resource `arn:aws:states:::s3:<action>`.
fn action(resource: &str) -> &str {
    resource.rsplit_once(":states:::").map_or("", |(_, a)| a)
}

fn bucket<'b>(
    buckets: &'b Buckets,
    call: &S3Call<'_>,
    error: &str,
) -> Result<(&'b Objects, String), Failed> {
    let failed = |cause: String| (error.to_string(), cause);
    let Some(name) = call.arguments.get("Bucket").and_then(Value::as_str) else {
        return Err(failed(format!(
            "the {} of `{}` names no `Bucket`",
            call.resource, call.state
        )));
    };
    match buckets.get(name) {
        Some(objects) => Ok((objects, name.to_string())),
        None => Err(failed(format!(
            "The specified bucket does not exist: `{name}` (the sandbox has the project's storage buckets{})",
            if buckets.is_empty() {
                ", and serves them once the project has auth"
            } else {
                ""
            }
        ))),
    }
}

/// The items of `call` (an `ItemReader`). Errors: `States.ItemReaderFailed`
/// with the reason (an unknown bucket or key, an object that is not what
/// `ReaderConfig.InputType` says, more than [`MOST_ITEMS`]).
pub fn read_items(buckets: &Buckets, call: &S3Call<'_>) -> Result<Vec<Value>, Failed> {
    let (objects, _) = bucket(buckets, call, "States.ItemReaderFailed")?;
    let items = match action(call.resource) {
        "s3:listObjectsV2" => {
            let prefix = call
                .arguments
                .get("Prefix")
                .and_then(Value::as_str)
                .unwrap_or_default();
            objects
                .keys_after(prefix, None)
                .into_iter()
                .map(|m| {
                    json!({
                        "Etag": m.etag,
                        "Key": m.key,
                        "LastModified": m.last_modified / 1000,
                        "Size": m.size,
                        "StorageClass": "STANDARD",
                    })
                })
                .collect()
        }
        "s3:getObject" => {
            let Some(key) = call.arguments.get("Key").and_then(Value::as_str) else {
                return Err(reader_failed(format!(
                    "the ItemReader of `{}` names no `Key`",
                    call.state
                )));
            };
            let (_, bytes) = objects
                .get(key)
                .map_err(|_| reader_failed(format!("The specified key does not exist: `{key}`")))?;
            let config = call.config.cloned().unwrap_or(Value::Null);
            records(&bytes, key, &config)?
        }
        other => {
            return Err(reader_failed(format!(
                "the sandbox reads items with s3:listObjectsV2 and s3:getObject, not `{other}`"
            )));
        }
    };
    // ReaderConfig.MaxItems reads that many, before the sandbox's own limit
    let mut items = items;
    if let Some(most) = call
        .config
        .and_then(|c| c.get("MaxItems"))
        .and_then(Value::as_u64)
        .filter(|m| *m > 0)
    {
        items.truncate(most as usize);
    }
    if items.len() > MOST_ITEMS {
        return Err(reader_failed(format!(
            "`{}` would run {} children; the sandbox runs at most {MOST_ITEMS} (narrow the prefix, or set ReaderConfig.MaxItems)",
            call.state,
            items.len()
        )));
    }
    Ok(items)
}

/// The records of an object, as `ReaderConfig.InputType` reads it: `JSON`
/// (an array), `JSONL` (a value a line) or `CSV` (an object a row, keyed by
/// the first row or by `CSVHeaders` when `CSVHeaderLocation` is `GIVEN`).
fn records(bytes: &[u8], key: &str, config: &Value) -> Result<Vec<Value>, Failed> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| reader_failed(format!("`{key}` is not UTF-8 text")))?;
    let not = |what: &str, why: String| reader_failed(format!("`{key}` is not {what}: {why}"));
    match config.get("InputType").and_then(Value::as_str) {
        Some("JSON") => match serde_json::from_str(text) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err(not("a JSON array", "it is another JSON value".into())),
            Err(e) => Err(not("a JSON array", e.to_string())),
        },
        Some("JSONL") => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| not("JSON Lines", format!("line {}: {e}", i + 1)))
            })
            .collect(),
        Some("CSV") => {
            let delimiter = match config.get("CSVDelimiter").and_then(Value::as_str) {
                None | Some("COMMA") => ',',
                Some("PIPE") => '|',
                Some("SEMICOLON") => ';',
                Some("SPACE") => ' ',
                Some("TAB") => '\t',
                Some(other) => {
                    return Err(reader_failed(format!(
                        "CSVDelimiter `{other}` is not one of COMMA, PIPE, SEMICOLON, SPACE, TAB"
                    )));
                }
            };
            let mut rows = csv_rows(text, delimiter).map_err(|why| not("CSV", why))?;
            let headers: Vec<String> = match config.get("CSVHeaderLocation").and_then(Value::as_str)
            {
                Some("GIVEN") => config
                    .get("CSVHeaders")
                    .and_then(Value::as_array)
                    .map(|h| {
                        h.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                _ if rows.is_empty() => Vec::new(),
                _ => rows.remove(0),
            };
            Ok(rows
                .into_iter()
                .map(|row| {
                    let record: Map<String, Value> = headers
                        .iter()
                        .zip(row)
                        .map(|(h, v)| (h.clone(), Value::String(v)))
                        .collect();
                    Value::Object(record)
                })
                .collect())
        }
        Some(other) => Err(reader_failed(format!(
            "the sandbox reads JSON, JSONL and CSV objects, not {other}"
        ))),
        None => Err(reader_failed(
            "an ItemReader with s3:getObject needs ReaderConfig.InputType (JSON, JSONL or CSV)",
        )),
    }
}

/// RFC 4180 rows: fields split at `delimiter`, quoted fields with `""` for
/// a quote and line breaks inside; CRLF or LF line ends; blank lines skipped.
fn csv_rows(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if field.is_empty() => quoted = true,
            '\n' if quoted => {
                line += 1;
                field.push(c);
            }
            c if quoted => field.push(c),
            c if c == delimiter => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                row.push(std::mem::take(&mut field));
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push(std::mem::take(&mut row));
                }
                row.clear();
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err(format!("a quoted field is not closed by line {line}"));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// Seconds since the epoch as Step Functions' exports write dates.
fn date(seconds: f64) -> String {
    chrono::DateTime::from_timestamp_millis((seconds * 1000.0) as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// One child as `Transformation: NONE` exports it: the execution's
/// description, its input and output (or error and cause) as JSON text.
fn described(child: &ChildRun<'_>, map_run_arn: &str) -> Value {
    // a map run's children are executions of `<machine>/<label>`
    let name = uuid::Uuid::new_v4().to_string();
    let run = map_run_arn
        .rsplit_once(':')
        .map_or(map_run_arn, |(run, _)| run);
    let execution = format!("{}:{name}", run.replacen(":mapRun:", ":execution:", 1));
    let machine = run.replacen(":mapRun:", ":stateMachine:", 1);
    let mut out = json!({
        "ExecutionArn": execution,
        "Input": child.input.to_string(),
        "InputDetails": { "Included": true },
        "Name": name,
        "RedriveCount": 0,
        "StartDate": date(child.start),
        "StateMachineArn": machine,
        "StopDate": date(child.stop),
    });
    match child.outcome {
        Ok(output) => {
            out["Output"] = json!(output.to_string());
            out["OutputDetails"] = json!({ "Included": true });
            out["Status"] = json!("SUCCEEDED");
            out["RedriveStatus"] = json!("NOT_REDRIVABLE");
            out["RedriveStatusReason"] = json!("Execution is SUCCEEDED and cannot be redriven");
        }
        Err(failure) => {
            out["Error"] = failure.get("Error").cloned().unwrap_or(Value::Null);
            out["Cause"] = failure.get("Cause").cloned().unwrap_or(Value::Null);
            out["Status"] = json!("FAILED");
            out["RedriveStatus"] = json!("REDRIVABLE");
        }
    }
    out
}

/// Export `children` as `call` (a `ResultWriter`) says; the
/// `ResultWriterDetails` (`Bucket`, `Key` of the manifest). Errors:
/// `States.ResultWriterFailed` with the reason.
pub fn write_results(
    buckets: &Buckets,
    call: &S3Call<'_>,
    map_run_arn: &str,
    children: &[ChildRun<'_>],
) -> Result<Value, Failed> {
    if action(call.resource) != "s3:putObject" {
        return Err(writer_failed(format!(
            "a ResultWriter writes with s3:putObject, not `{}`",
            call.resource
        )));
    }
    let (objects, bucket) = bucket(buckets, call, "States.ResultWriterFailed")?;
    let config = call.config.cloned().unwrap_or(Value::Null);
    let transformation = config
        .get("Transformation")
        .and_then(Value::as_str)
        .unwrap_or("NONE");
    let lines = config.get("OutputType").and_then(Value::as_str) == Some("JSONL");
    let prefix = call
        .arguments
        .get("Prefix")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_end_matches('/');
    let run_id = map_run_arn.rsplit(':').next().unwrap_or_default();
    let folder = if prefix.is_empty() {
        format!("{run_id}/")
    } else {
        format!("{prefix}/{run_id}/")
    };
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    for child in children {
        match (child.outcome, transformation) {
            // a failed child is exported whole whatever the transformation
            (Err(_), _) | (Ok(_), "NONE") => {
                let entry = described(child, map_run_arn);
                if child.outcome.is_ok() {
                    succeeded.push(entry);
                } else {
                    failed.push(entry);
                }
            }
            (Ok(Value::Array(items)), "FLATTEN") => succeeded.extend(items.iter().cloned()),
            (Ok(output), _) => succeeded.push(output.clone()),
        }
    }
    let headers = Headers {
        content_type: Some("application/json".into()),
        ..Headers::default()
    };
    let mut files: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (status, entries) in [("SUCCEEDED", succeeded), ("FAILED", failed)] {
        let mut listed = Vec::new();
        if !entries.is_empty() {
            let key = format!("{folder}{status}_0.json");
            let body = if lines {
                entries
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                Value::Array(entries).to_string()
            };
            objects
                .put(&key, body.as_bytes(), &headers, None, false)
                .map_err(|e| writer_failed(format!("writing `{key}`: {e:?}")))?;
            listed.push(json!({ "Key": key, "Size": body.len() }));
        }
        files.insert(status, listed);
    }
    let manifest = json!({
        "DestinationBucket": bucket,
        "MapRunArn": map_run_arn,
        "ResultFiles": {
            "FAILED": files.remove("FAILED").unwrap_or_default(),
            "PENDING": [],
            "SUCCEEDED": files.remove("SUCCEEDED").unwrap_or_default(),
        },
    });
    let key = format!("{folder}manifest.json");
    objects
        .put(&key, manifest.to_string().as_bytes(), &headers, None, false)
        .map_err(|e| writer_failed(format!("writing `{key}`: {e:?}")))?;
    Ok(json!({ "Bucket": bucket, "Key": key }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_with(keys: &[(&str, &[u8])]) -> (tempfile::TempDir, Buckets) {
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::open(dir.path()).unwrap();
        for (key, bytes) in keys {
            objects
                .put(key, bytes, &Headers::default(), None, false)
                .unwrap();
        }
        (dir, [("b".to_string(), Arc::new(objects))].into())
    }

    fn call<'a>(resource: &'a str, arguments: &'a Value, config: Option<&'a Value>) -> S3Call<'a> {
        S3Call {
            state: "Each",
            resource,
            arguments,
            config,
        }
    }

    #[test]
    fn a_prefix_lists_its_objects_as_step_functions_gives_them() {
        let (_dir, buckets) =
            bucket_with(&[("in/a.txt", b"abc"), ("in/b.txt", b""), ("out/c", b"x")]);
        let arguments = json!({ "Bucket": "b", "Prefix": "in/" });
        let items = read_items(
            &buckets,
            &call("arn:aws:states:::s3:listObjectsV2", &arguments, None),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["Key"], "in/a.txt");
        assert_eq!(items[0]["Size"], 3);
        assert_eq!(items[0]["Etag"], "\"900150983cd24fb0d6963f7d28e17f72\"");
        assert_eq!(items[0]["StorageClass"], "STANDARD");
        assert!(items[0]["LastModified"].as_u64().unwrap() > 1_700_000_000);
        assert_eq!(items[1]["Size"], 0);
        // an unknown bucket, a missing key, an action the reader has not
        let (error, cause) = read_items(
            &buckets,
            &call(
                "arn:aws:states:::s3:listObjectsV2",
                &json!({ "Bucket": "nope" }),
                None,
            ),
        )
        .unwrap_err();
        assert_eq!(error, "States.ItemReaderFailed");
        assert!(cause.contains("bucket does not exist: `nope`"), "{cause}");
        let config = json!({ "InputType": "JSON" });
        let (_, cause) = read_items(
            &buckets,
            &call(
                "arn:aws:states:::s3:getObject",
                &json!({ "Bucket": "b", "Key": "in/none.json" }),
                Some(&config),
            ),
        )
        .unwrap_err();
        assert!(cause.contains("key does not exist"), "{cause}");
        let (_, cause) = read_items(
            &buckets,
            &call(
                "arn:aws:states:::s3:putObject",
                &json!({ "Bucket": "b" }),
                None,
            ),
        )
        .unwrap_err();
        assert!(cause.contains("not `s3:putObject`"), "{cause}");
    }

    #[test]
    fn results_are_exported_with_a_manifest() {
        let (_dir, buckets) = bucket_with(&[]);
        let objects = buckets["b"].clone();
        let arguments = json!({ "Bucket": "b", "Prefix": "results/" });
        let ok_in = json!({ "Items": [1] });
        let ok_out = json!({ "sum": 1 });
        let bad_in = json!({ "Items": [2] });
        let bad = json!({ "Error": "EmptyObject", "Cause": "empty" });
        let children = [
            ChildRun {
                index: 0,
                input: &ok_in,
                outcome: Ok(&ok_out),
                start: 1.0e9,
                stop: 1.0e9 + 1.5,
            },
            ChildRun {
                index: 1,
                input: &bad_in,
                outcome: Err(&bad),
                start: 1.0e9,
                stop: 1.0e9 + 2.0,
            },
        ];
        let run = "arn:aws:states:us-east-1:123456789012:mapRun:flow-dev/Each:run-1";
        let details = write_results(
            &buckets,
            &call("arn:aws:states:::s3:putObject", &arguments, None),
            run,
            &children,
        )
        .unwrap();
        assert_eq!(
            details,
            json!({ "Bucket": "b", "Key": "results/run-1/manifest.json" })
        );
        let read =
            |key: &str| -> Value { serde_json::from_slice(&objects.get(key).unwrap().1).unwrap() };
        let manifest = read("results/run-1/manifest.json");
        assert_eq!(manifest["DestinationBucket"], "b");
        assert_eq!(manifest["MapRunArn"], run);
        assert_eq!(
            manifest["ResultFiles"]["SUCCEEDED"][0]["Key"],
            "results/run-1/SUCCEEDED_0.json"
        );
        assert_eq!(
            manifest["ResultFiles"]["FAILED"][0]["Key"],
            "results/run-1/FAILED_0.json"
        );
        assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
        let succeeded = read("results/run-1/SUCCEEDED_0.json");
        let one = &succeeded[0];
        assert_eq!(one["Status"], "SUCCEEDED");
        assert_eq!(one["Input"], ok_in.to_string());
        assert_eq!(one["Output"], ok_out.to_string());
        assert_eq!(
            one["StateMachineArn"],
            "arn:aws:states:us-east-1:123456789012:stateMachine:flow-dev/Each"
        );
        assert_eq!(one["StartDate"], "2001-09-09T01:46:40.000Z");
        assert_eq!(one["StopDate"], "2001-09-09T01:46:41.500Z");
        assert!(
            one["ExecutionArn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:states:us-east-1:123456789012:execution:flow-dev/Each:"),
            "{one}"
        );
        let failed = read("results/run-1/FAILED_0.json");
        assert_eq!(failed[0]["Status"], "FAILED");
        assert_eq!(failed[0]["Error"], "EmptyObject");
        assert_eq!(failed[0]["Cause"], "empty");
        assert!(failed[0].get("Output").is_none());

        // COMPACT: the outputs alone (a failed child stays whole); JSONL: a line each
        let config = json!({ "Transformation": "COMPACT", "OutputType": "JSONL" });
        write_results(
            &buckets,
            &call(
                "arn:aws:states:::s3:putObject",
                &json!({ "Bucket": "b" }),
                Some(&config),
            ),
            "arn:aws:states:us-east-1:123456789012:mapRun:flow-dev/Each:run-2",
            &children,
        )
        .unwrap();
        let (_, bytes) = objects.get("run-2/SUCCEEDED_0.json").unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), ok_out.to_string());

        // FLATTEN: a child's array output is spread
        let listed = json!([1, 2]);
        let flat = [ChildRun {
            index: 0,
            input: &ok_in,
            outcome: Ok(&listed),
            start: 1.0e9,
            stop: 1.0e9,
        }];
        let config = json!({ "Transformation": "FLATTEN" });
        write_results(
            &buckets,
            &call(
                "arn:aws:states:::s3:putObject",
                &json!({ "Bucket": "b" }),
                Some(&config),
            ),
            "arn:aws:states:us-east-1:123456789012:mapRun:flow-dev/Each:run-3",
            &flat,
        )
        .unwrap();
        let (_, bytes) = objects.get("run-3/SUCCEEDED_0.json").unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!([1, 2])
        );
    }

    #[test]
    fn max_items_reads_that_many_before_the_sandboxs_limit() {
        let (_dir, buckets) = bucket_with(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let arguments = json!({ "Bucket": "b" });
        let config = json!({ "MaxItems": 2 });
        let items = read_items(
            &buckets,
            &call(
                "arn:aws:states:::s3:listObjectsV2",
                &arguments,
                Some(&config),
            ),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1]["Key"], "b");
    }

    #[test]
    fn csv_rows_follow_rfc_4180() {
        let rows = csv_rows(
            "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n1,\"two\nlines\"",
            ',',
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["a".to_string(), "b".into()],
                vec!["x, y".into(), "say \"hi\"".into()],
                vec!["1".into(), "two\nlines".into()],
            ]
        );
        assert!(
            csv_rows("a,\"open", ',')
                .unwrap_err()
                .contains("not closed")
        );
    }

    #[test]
    fn records_are_read_as_the_input_type_says() {
        let json_items = records(b"[1, {\"a\": 2}]", "k", &json!({ "InputType": "JSON" })).unwrap();
        assert_eq!(json_items, vec![json!(1), json!({ "a": 2 })]);
        let lines = records(
            b"{\"a\":1}\n\n{\"a\":2}\n",
            "k",
            &json!({ "InputType": "JSONL" }),
        )
        .unwrap();
        assert_eq!(lines, vec![json!({ "a": 1 }), json!({ "a": 2 })]);
        let csv = records(
            b"1,ada\n",
            "k",
            &json!({ "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "name"] }),
        )
        .unwrap();
        assert_eq!(csv, vec![json!({ "id": "1", "name": "ada" })]);
        let first_row = records(
            b"id;name\r\n2;\"bo; b\"\r\n",
            "k",
            &json!({ "InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "SEMICOLON" }),
        )
        .unwrap();
        assert_eq!(first_row, vec![json!({ "id": "2", "name": "bo; b" })]);
        let (error, cause) = records(b"{}", "k", &json!({ "InputType": "JSON" })).unwrap_err();
        assert_eq!(error, "States.ItemReaderFailed");
        assert!(cause.contains("not a JSON array"), "{cause}");
        let (_, cause) = records(b"{", "k", &json!({ "InputType": "JSONL" })).unwrap_err();
        assert!(cause.contains("line 1"), "{cause}");
        assert!(
            records(b"[]", "k", &Value::Null)
                .unwrap_err()
                .1
                .contains("InputType")
        );
    }
}
