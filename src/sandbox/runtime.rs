//! The APPSYNC_JS runtime, in QuickJS (rquickjs): a resolver's or function's
//! code evaluated as an ES module, with `@aws-appsync/utils` and
//! `@aws-appsync/utils/dynamodb` provided by hoist (`src/sandbox/js/`), and its
//! `request` or `response` called with the context.
//!
//! Each call runs under a memory limit and a time limit (a runaway resolver is
//! interrupted), and its outcome says what the code did: returned a value,
//! returned early (`runtime.earlyReturn`), raised an error (`util.error`),
//! refused the caller (`util.unauthorized`), or failed (an exception, with the
//! file and line).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rquickjs::loader::{BuiltinResolver, ImportAttributes, Loader};
use rquickjs::module::{Declared, WriteOptions};
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Module, Runtime};
use serde_json::{Value, json};

const UTILS: &str = include_str!("js/utils.js");
const DYNAMODB: &str = include_str!("js/dynamodb.js");

/// Memory a call may use: 64 MiB.
const MEMORY_LIMIT: usize = 64 << 20;
/// Stack a call may use: 1 MiB.
const STACK_LIMIT: usize = 1 << 20;

/// What one call of `request` or `response` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It returned this (JSON; `undefined` is null).
    Returned(Value),
    /// `runtime.earlyReturn(value, { skipTo })`: the handler's result is
    /// `value`; `to_end` (`skipTo: 'END'`) skips the rest of the pipeline.
    EarlyReturn { value: Value, to_end: bool },
    /// `util.error(message, type, data, info)`.
    Error {
        message: String,
        error_type: Option<String>,
        data: Value,
        info: Value,
    },
    /// `util.unauthorized()`.
    Unauthorized,
}

/// What a call left besides its outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// The context's `stash` after the call.
    pub stash: Value,
    /// `util.appendError` calls: AppSync error objects.
    pub errors: Vec<Value>,
    /// `extensions.setSubscriptionFilter`.
    pub subscription_filter: Option<Value>,
}

/// Code that did not run: it does not compile, threw, ran out of time or memory.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CodeError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
    /// It was stopped because its time (what was left of its request's) ran out.
    pub timed_out: bool,
}

/// A QuickJS runtime for resolver code; one per thread (it is not `Send`).
pub struct JsRuntime {
    runtime: Runtime,
    /// Compiled modules by file and code: a call compiles its code once
    /// and later calls load the bytecode.
    bytecode: Bytecode,
    pooled: RefCell<Option<(Context, usize)>>,
    uses: std::cell::Cell<usize>,
    deadline: Arc<AtomicU64>,
    started: Instant,
    time_limit: std::cell::Cell<Duration>,
}

impl JsRuntime {
    /// A runtime whose calls each get `time_limit` (AppSync stops a request
    /// after 30 s).
    pub fn new(time_limit: Duration) -> Result<JsRuntime, CodeError> {
        let fail = |e: rquickjs::Error| CodeError {
            file: "<runtime>".into(),
            line: None,
            message: e.to_string(),
            timed_out: false,
        };
        let runtime = Runtime::new().map_err(fail)?;
        runtime.set_memory_limit(MEMORY_LIMIT);
        runtime.set_max_stack_size(STACK_LIMIT);
        let deadline = Arc::new(AtomicU64::new(u64::MAX));
        let started = Instant::now();
        let check = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            started.elapsed().as_millis() as u64 > check.load(Ordering::Relaxed)
        })));
        let bytecode = Bytecode::default();
        runtime.set_loader(
            BuiltinResolver::default()
                .with_module("@aws-appsync/utils")
                .with_module("@aws-appsync/utils/dynamodb"),
            Utilities {
                bytecode: bytecode.clone(),
            },
        );
        Ok(JsRuntime {
            runtime,
            bytecode,
            pooled: RefCell::new(None),
            uses: std::cell::Cell::new(0),
            deadline,
            started,
            time_limit: std::cell::Cell::new(time_limit),
        })
    }

    /// Call `function` (`request` or `response`) of `code` (from `file`, for
    /// messages) with the context `ctx` (`args`, `stash`, `prev`, `source`,
    /// `identity`, `info`, `result`, `error`, `request`); `auth_type` is what
    /// `util.authType()` returns.
    pub fn call(
        &self,
        file: &str,
        code: &str,
        function: &str,
        ctx: &Value,
        auth_type: &str,
    ) -> Result<(Outcome, Effects), CodeError> {
        let context = self.context().map_err(|e| CodeError {
            file: file.to_string(),
            line: None,
            message: e.to_string(),
            timed_out: false,
        })?;
        let limit = self.started.elapsed() + self.time_limit.get();
        self.deadline
            .store(limit.as_millis() as u64, Ordering::Relaxed);
        let result = context.with(|qjs| -> Result<(Outcome, Effects), CodeError> {
            let fail = |message: String, line: Option<u32>| CodeError {
                file: file.to_string(),
                line,
                message,
                timed_out: false,
            };
            let caught = |e| caught_error(&qjs, file, e);
            let host = json!({ "authType": auth_type, "errors": [], "subscriptionFilter": null });
            let host_js = qjs
                .json_parse(host.to_string())
                .catch(&qjs)
                .map_err(caught)?;
            qjs.globals()
                .set("__hoist", host_js)
                .catch(&qjs)
                .map_err(caught)?;
            let (module, promise) = self
                .bytecode
                .module(&qjs, file, code)
                .catch(&qjs)
                .map_err(caught)?
                .eval()
                .catch(&qjs)
                .map_err(caught)?;
            promise.finish::<()>().catch(&qjs).map_err(caught)?;
            let f: Function = module
                .get(function)
                .catch(&qjs)
                .map_err(|_| fail(format!("the code exports no `{function}` function"), None))?;
            let arg = qjs
                .json_parse(ctx.to_string())
                .catch(&qjs)
                .map_err(caught)?;
            let returned = f.call::<_, rquickjs::Value>((arg.clone(),)).catch(&qjs);
            let to_json = |v| json_of(&qjs, v);
            let host_after: Value = qjs
                .globals()
                .get::<_, rquickjs::Value>("__hoist")
                .map(to_json)
                .unwrap_or(Value::Null);
            let stash = arg
                .as_object()
                .and_then(|o| o.get::<_, rquickjs::Value>("stash").ok())
                .map(to_json)
                .unwrap_or(Value::Null);
            let effects = Effects {
                stash,
                errors: host_after["errors"].as_array().cloned().unwrap_or_default(),
                subscription_filter: Some(host_after["subscriptionFilter"].clone())
                    .filter(|f| !f.is_null()),
            };
            let outcome = match returned {
                Ok(v) => Outcome::Returned(to_json(v)),
                Err(CaughtError::Value(v)) => {
                    let thrown = to_json(v.clone());
                    match thrown["__hoist"].as_str() {
                        Some("earlyReturn") => Outcome::EarlyReturn {
                            value: thrown["value"].clone(),
                            to_end: thrown["skipTo"] == "END",
                        },
                        Some("unauthorized") => Outcome::Unauthorized,
                        Some("error") => Outcome::Error {
                            message: thrown["message"].as_str().unwrap_or_default().to_string(),
                            error_type: thrown["type"].as_str().map(str::to_string),
                            data: thrown["data"].clone(),
                            info: thrown["info"].clone(),
                        },
                        _ => return Err(caught(CaughtError::Value(v))),
                    }
                }
                Err(e) => return Err(caught(e)),
            };
            Ok((outcome, effects))
        });
        // promise jobs the code left run now, within its time, not in the next call
        while self.runtime.is_job_pending() {
            if self.runtime.execute_pending_job().is_err() {
                break;
            }
        }
        let out_of_time = self.started.elapsed() > limit;
        self.deadline.store(u64::MAX, Ordering::Relaxed);
        // an interruption past the deadline, not any error that came late
        let result = result.map_err(|e| CodeError {
            timed_out: out_of_time && e.message.starts_with("interrupted"),
            ..e
        });
        // a context that saw a failure (an interruption, a thrown exception) is not reused
        if result.is_ok() {
            *self.pooled.borrow_mut() = Some((context, self.uses.get()));
        }
        result
    }

    /// The time each later call may run (the engine gives a call what is left
    /// of its request's time).
    pub fn set_time_limit(&self, limit: Duration) {
        self.time_limit.set(limit);
    }

    /// The context for a call: the pooled one for up to [`CONTEXT_USES`]
    /// calls, then a new one. Each call evaluates its code afresh as a new
    /// module (module-level state starts over, as in AppSync); what a
    /// context keeps between calls is the standard built-ins and the
    /// `@aws-appsync/utils` modules, made once instead of per call (and a
    /// global a call assigns, which AppSync code cannot rely on either way).
    fn context(&self) -> rquickjs::Result<Context> {
        let mut pooled = self.pooled.borrow_mut();
        if let Some((context, uses)) = pooled.take()
            && uses < CONTEXT_USES
        {
            self.uses.set(uses + 1);
            return Ok(context);
        }
        self.uses.set(1);
        Context::full(&self.runtime)
    }
}

/// Calls one context serves before it is dropped (each call leaves its
/// module behind until then).
const CONTEXT_USES: usize = 256;

/// Modules compiled to QuickJS bytecode, by name and source.
#[derive(Clone, Default)]
struct Bytecode(Rc<RefCell<HashMap<ModuleKey, Rc<Vec<u8>>>>>);

/// A module's name and source.
type ModuleKey = (String, String);

impl Bytecode {
    /// `source` as a module named `name`, declared in `ctx`: compiled the
    /// first time, read from its bytecode afterwards.
    fn module<'js>(
        &self,
        ctx: &Ctx<'js>,
        name: &str,
        source: &str,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        let key = (name.to_string(), source.to_string());
        let cached = self.0.borrow().get(&key).cloned();
        if let Some(bytes) = cached {
            // Safety: the bytes were written by this same QuickJS build
            // (`Module::write` below), in memory, never from outside; QuickJS
            // copies them while reading (its ROM-data flag is a no-op).
            return unsafe { Module::load(ctx.clone(), &bytes) };
        }
        let module = Module::declare(ctx.clone(), name, source)?;
        if let Ok(bytes) = module.write(WriteOptions::default()) {
            self.0.borrow_mut().insert(key, Rc::new(bytes));
        }
        Ok(module)
    }
}

/// Loads hoist's `@aws-appsync/utils` modules into every context that
/// imports them (rquickjs' `BuiltinLoader` hands each source out once).
struct Utilities {
    bytecode: Bytecode,
}

impl Loader for Utilities {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        let source = match name {
            "@aws-appsync/utils" => UTILS,
            "@aws-appsync/utils/dynamodb" => DYNAMODB,
            other => return Err(rquickjs::Error::new_loading(other)),
        };
        self.bytecode.module(ctx, name, source)
    }
}

/// A JavaScript value as JSON (`undefined`, functions: null).
fn json_of<'js>(qjs: &Ctx<'js>, v: rquickjs::Value<'js>) -> Value {
    qjs.json_stringify(v)
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

/// An exception, a thrown value or an interruption as a [`CodeError`].
fn caught_error<'js>(qjs: &Ctx<'js>, file: &str, e: CaughtError<'js>) -> CodeError {
    let fail = |message: String, line: Option<u32>| CodeError {
        file: file.to_string(),
        line,
        message,
        timed_out: false,
    };
    match e {
        CaughtError::Exception(ex) => {
            let message = ex.message().unwrap_or_else(|| "an exception".into());
            let line = ex.stack().and_then(|s| line_of(&s, file));
            fail(message, line)
        }
        CaughtError::Value(v) => fail(format!("threw {}", json_of(qjs, v)), None),
        CaughtError::Error(rquickjs::Error::Exception) => {
            fail("interrupted: it ran out of time or memory".into(), None)
        }
        CaughtError::Error(e) => fail(e.to_string(), None),
    }
}

/// The line of `file` in a QuickJS stack trace (`at request (file:12:9)`).
fn line_of(stack: &str, file: &str) -> Option<u32> {
    let at = stack.find(file)?;
    let rest = &stack[at + file.len()..];
    let rest = rest.strip_prefix(':')?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js() -> JsRuntime {
        JsRuntime::new(Duration::from_millis(500)).unwrap()
    }

    /// Contexts are reused between calls, modules are not: a resolver's
    /// module-level state starts over on every call, as each request
    /// evaluates its code in AppSync; a call that throws leaves nothing behind.
    #[test]
    fn each_call_evaluates_its_code_afresh() {
        let code = "let calls = 0;\nexport function request(ctx) { calls += 1; if (ctx.args.boom) { globalThis.left = 1; throw new Error('boom'); } return { calls, left: globalThis.left ?? null }; }\n";
        let rt = js();
        let call = |args: Value| rt.call("f.js", code, "request", &json!({"args": args}), "x");
        for _ in 0..(CONTEXT_USES + 3) {
            assert_eq!(
                call(json!({})).unwrap().0,
                Outcome::Returned(json!({"calls": 1, "left": null}))
            );
        }
        let err = call(json!({"boom": true})).unwrap_err();
        assert_eq!((err.message.as_str(), err.line), ("boom", Some(2)));
        assert_eq!(
            call(json!({})).unwrap().0,
            Outcome::Returned(json!({"calls": 1, "left": null})),
            "the context of a failed call is not reused"
        );
    }

    #[test]
    fn request_and_response_run_with_the_utilities() {
        let code = r#"
import { util, runtime } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';
export function request(ctx) {
  ctx.stash.seen = true;
  if (ctx.args.stop) runtime.earlyReturn({ early: 1 });
  if (ctx.args.deny) util.unauthorized();
  if (ctx.args.fail) util.error('bad input', 'BadInput');
  return ddb.put({ key: { id: ctx.args.id }, item: { id: ctx.args.id, n: 2 }, condition: { id: { attributeExists: false } } });
}
export function response(ctx) { return util.authType(); }
"#;
        let rt = js();
        let ctx = |args: Value| json!({ "args": args, "stash": {} });
        let (out, effects) = rt
            .call(
                "f.js",
                code,
                "request",
                &ctx(json!({"id": "a"})),
                "API Key Authorization",
            )
            .unwrap();
        assert_eq!(
            out,
            Outcome::Returned(json!({
                "operation": "PutItem", "key": {"id": {"S": "a"}},
                "attributeValues": {"n": {"N": "2"}},
                "condition": {"expression": "(attribute_not_exists(#id))", "expressionNames": {"#id": "id"}}
            }))
        );
        assert_eq!(effects.stash, json!({"seen": true}));
        let call = |args: Value| rt.call("f.js", code, "request", &ctx(args), "x").unwrap().0;
        assert_eq!(
            call(json!({"stop": true})),
            Outcome::EarlyReturn {
                value: json!({"early": 1}),
                to_end: false
            }
        );
        assert_eq!(call(json!({"deny": true})), Outcome::Unauthorized);
        assert!(
            matches!(call(json!({"fail": true})), Outcome::Error { error_type: Some(t), .. } if t == "BadInput")
        );
        let (out, _) = rt
            .call(
                "f.js",
                code,
                "response",
                &ctx(json!({})),
                "API Key Authorization",
            )
            .unwrap();
        assert_eq!(out, Outcome::Returned(json!("API Key Authorization")));
    }

    #[test]
    fn broken_and_runaway_code_is_an_error_with_its_line() {
        let rt = js();
        let thrown = rt
            .call(
                "broken.js",
                "export function request(ctx) {\n  const x = 1;\n  return ctx.nope.deeper;\n}",
                "request",
                &json!({}),
                "x",
            )
            .unwrap_err();
        let boom = rt
            .call(
                "boom.js",
                "export function request(ctx) {\n  const x = 1;\n  throw new Error('boom');\n}",
                "request",
                &json!({}),
                "x",
            )
            .unwrap_err();
        assert_eq!(
            (boom.file.as_str(), boom.line),
            ("boom.js", Some(3)),
            "{boom}"
        );
        // QuickJS places a failed property read at its function's first line
        assert_eq!(thrown.file, "broken.js");
        assert!(thrown.message.contains("deeper"), "{thrown}");
        let syntax = rt
            .call(
                "syntax.js",
                "export function request( {",
                "request",
                &json!({}),
                "x",
            )
            .unwrap_err();
        assert_eq!(syntax.file, "syntax.js");
        let started = Instant::now();
        let runaway = rt
            .call(
                "loop.js",
                "export function request(ctx) { for (;;) {} }",
                "request",
                &json!({}),
                "x",
            )
            .unwrap_err();
        assert!(runaway.message.contains("interrupted"), "{runaway}");
        assert!(runaway.timed_out, "a loop is stopped for its time");
        assert!(started.elapsed() < Duration::from_secs(5));
        // the runtime still works after an interrupted call
        let (out, _) = rt
            .call(
                "ok.js",
                "export function request() { return 1; }",
                "request",
                &json!({}),
                "x",
            )
            .unwrap();
        assert_eq!(out, Outcome::Returned(json!(1)));
        let hog = rt
            .call(
                "hog.js",
                "export function request() { const a = []; for (;;) a.push('x'.repeat(1000)); }",
                "request",
                &json!({}),
                "x",
            )
            .unwrap_err();
        assert!(!hog.message.is_empty());
        assert!(!syntax.timed_out);
    }
}
