//! The api's GraphQL schema, executable: built at run time with async-graphql's
//! dynamic schema from the SDL `hoist synth` writes (the schema AppSync is
//! given), each field resolved as AppSync resolves it:
//!
//! - the request's authorization mode must be allowed on the field: the
//!   field's `@aws_*` directives, else its type's, else only the api's default
//!   mode; `@aws_cognito_user_pools(cognito_groups:)` also needs one of the
//!   groups (AWS AppSync Developer Guide, "Using additional authorization
//!   modes");
//! - a field with a resolver runs it on the [`Engine`]; any other field reads
//!   the parent value's member of its name;
//! - `AWSJSON` arguments reach resolvers parsed and `AWSJSON` results leave as
//!   JSON text; AppSync's scalars are checked on input ("AppSync scalar types");
//! - a mutation's result, as its caller received it (its selection set, its
//!   nested resolvers run for that caller), is published to the subscriptions
//!   whose `@aws_subscribe(mutations:)` names it; each subscriber gets it if
//!   its arguments equal the result's fields of the same name and its
//!   resolver's `extensions.setSubscriptionFilter` filter matches ("Enhanced
//!   subscription filtering"), and gets the fields it selects that the
//!   mutation selected: no resolver runs again for the subscriber (AWS AppSync
//!   Developer Guide, "Real-time data": a subscription's fields come from the
//!   mutation's response).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use apollo_compiler::Schema as Sdl;
use apollo_compiler::ast;
use apollo_compiler::schema::ExtendedType;
use async_graphql::dynamic::{
    self, Enum, Field, FieldFuture, FieldValue, InputObject, InputValue, Interface, InterfaceField,
    Object, ResolverContext, Subscription, SubscriptionField, SubscriptionFieldFuture, TypeRef,
    Union,
};
use async_graphql::{ErrorExtensions, Name};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::broadcast;

mod scalars;

use super::api::{Api, Caller, FieldError, Resolved};
use super::engine::{Engine, Resolve};
use crate::category::api::AuthMode;
use scalars::appsync_scalar;
#[cfg(test)]
use scalars::scalar_check;

/// A mutation's result, as published to subscriptions.
#[derive(Debug, Clone)]
pub struct Published {
    pub mutation: String,
    pub data: Value,
}

/// Who is calling, for the length of one request (or one subscription).
pub struct RequestAuth {
    pub mode: AuthMode,
    pub caller: Caller,
    /// When the request's time is up: AppSync gives a request 30 s.
    pub deadline: std::time::Instant,
    /// Errors beside a field's value (`util.appendError`), as AppSync error objects.
    pub extra_errors: Mutex<Vec<Value>>,
    /// Told when a subscription is registered (its events are from then on kept).
    pub registered: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    /// The mutations of this request that returned an item: (the response
    /// key, the mutation, where to publish), published by [`publish`] once
    /// the response is complete.
    pending: Mutex<Vec<Pending>>,
    /// A subscription's: its events carry the mutation's response, so no
    /// field resolver runs for it past the subscription field.
    subscription: bool,
}

impl RequestAuth {
    pub fn new(mode: AuthMode, caller: Caller) -> RequestAuth {
        RequestAuth {
            mode,
            caller,
            deadline: std::time::Instant::now() + REQUEST_TIME_LIMIT,
            extra_errors: Mutex::new(Vec::new()),
            registered: Mutex::new(None),
            pending: Mutex::new(Vec::new()),
            subscription: false,
        }
    }

    /// A subscription's caller: events are the mutations' responses.
    pub fn subscriber(mode: AuthMode, caller: Caller) -> RequestAuth {
        RequestAuth {
            subscription: true,
            ..RequestAuth::new(mode, caller)
        }
    }
}

/// A mutation of a request, to publish once the response is complete.
struct Pending {
    /// Its key in the response (its alias, or its name).
    key: String,
    mutation: String,
    /// The response keys of its selection and the fields they name.
    names: Value,
    events: broadcast::Sender<Published>,
}

/// The fields a selection names, by response key: `{key: [name, nested]}`.
fn selection_names(field: async_graphql::SelectionField<'_>) -> Value {
    let mut out = serde_json::Map::new();
    for f in field.selection_set() {
        let key = f.alias().unwrap_or(f.name()).to_string();
        let nested = selection_names(f);
        // one response key selected twice: one field, its selections merged
        match out.get_mut(&key).and_then(|pair| pair.get_mut(1)) {
            Some(Value::Object(have)) => {
                if let Value::Object(more) = nested {
                    for (k, v) in more {
                        have.entry(k).or_insert(v);
                    }
                }
            }
            _ => {
                out.insert(key, json!([f.name(), nested]));
            }
        }
    }
    Value::Object(out)
}

/// A response value with its aliases undone: each member under the name of
/// the field it is, as AppSync publishes a mutation's result (its fields by
/// name, so an alias can neither hide a field from a subscriber's filter nor
/// pose as another field).
fn by_field_name(value: &Value, names: &Value) -> Value {
    match value {
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| by_field_name(v, names)).collect())
        }
        Value::Object(members) => {
            let mut out = serde_json::Map::new();
            for (key, v) in members {
                let (name, nested) = match names.get(key).and_then(Value::as_array) {
                    Some(pair) => (pair[0].as_str().unwrap_or(key).to_string(), &pair[1]),
                    None => (key.clone(), &Value::Null),
                };
                // several selections of one field (with aliases) are merged
                let value = by_field_name(v, nested);
                match (out.get_mut(&name), value) {
                    (Some(Value::Object(have)), Value::Object(more)) => {
                        for (k, v) in more {
                            have.entry(k).or_insert(v);
                        }
                    }
                    (Some(_), _) => {}
                    (None, value) => {
                        out.insert(name, value);
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Publish the mutations of a finished request, each as its caller received
/// it in `response` (a mutation whose result is null publishes nothing).
pub fn publish(auth: &RequestAuth, response: &async_graphql::Response) {
    let pending = auth
        .pending
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    if pending.is_empty() {
        return;
    }
    let data = response.data.clone().into_json().unwrap_or(Value::Null);
    for p in pending {
        match data.get(&p.key) {
            Some(item) if !item.is_null() => {
                let _ = p.events.send(Published {
                    mutation: p.mutation,
                    data: by_field_name(item, &p.names),
                });
            }
            _ => {}
        }
    }
}

/// How long a request may run, all its resolvers together (AppSync's limit).
pub const REQUEST_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The modes a type or field allows, from its `@aws_*` directives.
#[derive(Debug, Clone, Default, PartialEq)]
struct Allowed {
    modes: Vec<AuthMode>,
    /// `cognito_groups` of `@aws_cognito_user_pools` / `@aws_auth`; empty: any user.
    groups: Vec<String>,
}

fn allowed_by(directives: &ast::DirectiveList) -> Option<Allowed> {
    let mut allowed = Allowed::default();
    for d in directives.iter() {
        let mode = match d.name.as_str() {
            "aws_api_key" => AuthMode::ApiKey,
            "aws_iam" => AuthMode::Iam,
            "aws_oidc" => AuthMode::Oidc,
            "aws_lambda" => AuthMode::Lambda,
            "aws_cognito_user_pools" | "aws_auth" => {
                if let Some(list) = d
                    .specified_argument_by_name("cognito_groups")
                    .and_then(|v| v.as_list())
                {
                    allowed
                        .groups
                        .extend(list.iter().filter_map(|g| g.as_str().map(str::to_string)));
                }
                AuthMode::UserPools
            }
            _ => continue,
        };
        allowed.modes.push(mode);
    }
    (!allowed.modes.is_empty()).then_some(allowed)
}

/// What every field resolver of one build of the schema shares.
pub struct Shared {
    pub engine: Engine,
    pub events: broadcast::Sender<Published>,
    api: Arc<Api>,
    default_mode: AuthMode,
    resolvers: BTreeSet<(String, String)>,
    query_root: String,
    mutation_root: Option<String>,
    subscription_root: Option<String>,
    /// Per `(type, field)`, and per type under `(type, "")`.
    access: BTreeMap<(String, String), Allowed>,
    sdl: Sdl,
}

impl Shared {
    fn allows(&self, type_name: &str, field: &str, auth: &RequestAuth) -> bool {
        if auth
            .caller
            .denied_fields
            .iter()
            .any(|d| d.split_once('.') == Some((type_name, field)))
        {
            return false;
        }
        // AppSync checks an IAM caller's policy on the operation's fields
        if let Some(policy) = &auth.caller.iam_policy
            && self.is_root(type_name)
            && !policy.allows(type_name, field)
        {
            return false;
        }
        let rule = self
            .access
            .get(&(type_name.to_string(), field.to_string()))
            .or_else(|| self.access.get(&(type_name.to_string(), String::new())));
        let Some(rule) = rule else {
            return auth.mode == self.default_mode;
        };
        if !rule.modes.contains(&auth.mode) {
            return false;
        }
        if auth.mode == AuthMode::UserPools && !rule.groups.is_empty() {
            let groups = auth.caller.identity["groups"].as_array();
            return groups.is_some_and(|gs| {
                gs.iter()
                    .filter_map(Value::as_str)
                    .any(|g| rule.groups.iter().any(|r| r == g))
            });
        }
        true
    }

    fn is_root(&self, name: &str) -> bool {
        name == self.query_root
            || self.mutation_root.as_deref() == Some(name)
            || self.subscription_root.as_deref() == Some(name)
    }

    fn is_leaf(&self, name: &str) -> bool {
        matches!(
            self.sdl.types.get(name),
            Some(ExtendedType::Scalar(_) | ExtendedType::Enum(_)) | None
        )
    }

    /// `AWSJSON` text parsed, wherever the argument's type puts it.
    fn parse_json_args(&self, value: Value, ty: &ast::Type) -> Value {
        match (value, ty) {
            (Value::Null, _) => Value::Null,
            (Value::Array(items), ast::Type::List(inner) | ast::Type::NonNullList(inner)) => {
                Value::Array(
                    items
                        .into_iter()
                        .map(|v| self.parse_json_args(v, inner))
                        .collect(),
                )
            }
            (Value::String(text), t) if t.inner_named_type() == "AWSJSON" => {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            }
            (Value::Object(map), t) => match self.sdl.types.get(t.inner_named_type()) {
                Some(ExtendedType::InputObject(input)) => Value::Object(
                    map.into_iter()
                        .map(|(k, v)| {
                            let v = match input.fields.get(k.as_str()) {
                                Some(def) => self.parse_json_args(v, &def.ty),
                                None => v,
                            };
                            (k, v)
                        })
                        .collect(),
                ),
                _ => Value::Object(map),
            },
            (v, _) => v,
        }
    }

    /// A JSON result as the field's type wants it.
    fn field_value(&self, value: Value, ty: &ast::Type) -> Option<FieldValue<'static>> {
        match (value, ty) {
            (Value::Null, _) => None,
            (Value::Array(items), ast::Type::List(inner) | ast::Type::NonNullList(inner)) => {
                Some(FieldValue::list(items.into_iter().map(|v| {
                    self.field_value(v, inner).unwrap_or(FieldValue::NULL)
                })))
            }
            (v, ast::Type::List(inner) | ast::Type::NonNullList(inner)) => {
                // AppSync wraps a single value given for a list
                Some(FieldValue::list(
                    self.field_value(v, inner).into_iter().collect::<Vec<_>>(),
                ))
            }
            (v, t) => {
                let name = t.inner_named_type().as_str();
                if self.is_leaf(name) {
                    let v = match (name, v) {
                        ("AWSJSON", v @ Value::String(_)) => v,
                        ("AWSJSON", v) => Value::String(v.to_string()),
                        (_, v) => v,
                    };
                    return Some(FieldValue::value(
                        async_graphql::Value::from_json(v).unwrap_or_default(),
                    ));
                }
                let concrete = match self.sdl.types.get(name) {
                    Some(ExtendedType::Interface(_) | ExtendedType::Union(_)) => v
                        .get("__typename")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    _ => None,
                };
                let fv = FieldValue::owned_any(v);
                Some(match concrete {
                    Some(t) => fv.with_type(t),
                    None => fv,
                })
            }
        }
    }
}

fn type_ref(ty: &ast::Type) -> TypeRef {
    match ty {
        ast::Type::Named(n) => TypeRef::named(n.as_str()),
        ast::Type::NonNullNamed(n) => TypeRef::named_nn(n.as_str()),
        ast::Type::List(inner) => TypeRef::List(Box::new(type_ref(inner))),
        ast::Type::NonNullList(inner) => {
            TypeRef::NonNull(Box::new(TypeRef::List(Box::new(type_ref(inner)))))
        }
    }
}

fn const_value(v: &ast::Value) -> async_graphql::Value {
    use async_graphql::Value as V;
    match v {
        ast::Value::Null | ast::Value::Variable(_) => V::Null,
        ast::Value::Enum(n) => V::Enum(Name::new(n.as_str())),
        ast::Value::String(s) => V::String(s.clone()),
        ast::Value::Float(f) => f
            .try_to_f64()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(V::Number)
            .unwrap_or(V::Null),
        ast::Value::Int(i) => i
            .try_to_i32()
            .map(|i| V::Number(i.into()))
            .unwrap_or(V::Null),
        ast::Value::Boolean(b) => V::Boolean(*b),
        ast::Value::List(items) => V::List(items.iter().map(|i| const_value(i)).collect()),
        ast::Value::Object(fields) => V::Object(
            fields
                .iter()
                .map(|(k, v)| (Name::new(k.as_str()), const_value(v)))
                .collect(),
        ),
    }
}

fn input_value(def: &ast::InputValueDefinition) -> InputValue {
    let mut iv = InputValue::new(def.name.as_str(), type_ref(&def.ty));
    if let Some(d) = &def.description {
        iv = iv.description(d.as_str());
    }
    if let Some(default) = &def.default_value {
        iv = iv.default_value(const_value(default));
    }
    iv
}

/// An AppSync error object as an async-graphql error: its type, data and
/// info ride in extensions until [`appsync_errors`] puts them back on top.
pub fn field_error(e: &FieldError) -> async_graphql::Error {
    let error_type = e.error_type.clone();
    let data = e.data.clone();
    let info = e.info.clone();
    async_graphql::Error::new(e.message.clone()).extend_with(move |_, x| {
        if let Some(t) = &error_type {
            x.set("errorType", t.as_str());
        }
        if let Ok(d) = async_graphql::Value::from_json(data.clone()) {
            x.set("data", d);
        }
        if let Ok(i) = async_graphql::Value::from_json(info.clone()) {
            x.set("errorInfo", i);
        }
    })
}

/// The field's path, kept in extensions: errors of dynamic resolvers carry none.
fn with_path(e: async_graphql::Error, path: Value) -> async_graphql::Error {
    e.extend_with(move |_, x| {
        if let Ok(p) = async_graphql::Value::from_json(path.clone()) {
            x.set("path", p);
        }
    })
}

fn unauthorized(type_name: &str, field: &str) -> async_graphql::Error {
    field_error(&FieldError {
        message: format!("Not Authorized to access {field} on type {type_name}"),
        error_type: Some("Unauthorized".into()),
        data: Value::Null,
        info: Value::Null,
    })
}

/// The response body AppSync sends: errors with `path`, `data`, `errorType`,
/// `errorInfo`, `locations` and `message` (AppSync puts no `extensions`).
pub fn appsync_body(response: async_graphql::Response, extra: Vec<Value>) -> Value {
    let mut errors: Vec<Value> = response
        .errors
        .iter()
        .map(|e| {
            let ext = e
                .extensions
                .as_ref()
                .and_then(|x| serde_json::to_value(x).ok())
                .unwrap_or(Value::Null);
            let path = match ext.get("path") {
                Some(p @ Value::Array(_)) if e.path.is_empty() => p.clone(),
                _ => serde_json::to_value(&e.path).unwrap_or(Value::Null),
            };
            let has_path = path.as_array().is_some_and(|p| !p.is_empty());
            let error_type = ext.get("errorType").cloned().unwrap_or_else(|| {
                if !has_path {
                    json!("ValidationError")
                } else {
                    Value::Null
                }
            });
            let locations: Vec<Value> = e
                .locations
                .iter()
                .map(|l| json!({"line": l.line, "column": l.column, "sourceName": null}))
                .collect();
            let mut obj = serde_json::Map::new();
            if has_path {
                obj.insert("path".into(), path);
                obj.insert(
                    "data".into(),
                    ext.get("data").cloned().unwrap_or(Value::Null),
                );
            }
            obj.insert("errorType".into(), error_type);
            obj.insert(
                "errorInfo".into(),
                ext.get("errorInfo").cloned().unwrap_or(Value::Null),
            );
            obj.insert("locations".into(), Value::Array(locations));
            obj.insert("message".into(), json!(e.message));
            Value::Object(obj)
        })
        .collect();
    errors.extend(extra);
    let mut data = response.data.into_json().unwrap_or(Value::Null);
    // a field that failed is null in `data`, where AppSync puts it
    for e in &errors {
        if let Some(path) = e.get("path").and_then(Value::as_array) {
            null_at(&mut data, path);
        }
    }
    let mut body = serde_json::Map::new();
    let validation_failed = !errors.is_empty() && errors.iter().all(|e| e.get("path").is_none());
    if !validation_failed {
        body.insert("data".into(), data);
    }
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    Value::Object(body)
}

/// Set `data` at `path` to null if its parent is there and the field is missing.
fn null_at(data: &mut Value, path: &[Value]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = data;
    for step in parents {
        at = match (step, at) {
            (Value::String(k), Value::Object(m)) => match m.get_mut(k) {
                Some(v) => v,
                None => return,
            },
            (Value::Number(i), Value::Array(items)) => {
                match i.as_u64().and_then(|i| items.get_mut(i as usize)) {
                    Some(v) => v,
                    None => return,
                }
            }
            _ => return,
        };
    }
    if let (Value::String(k), Value::Object(m)) = (last, at) {
        m.entry(k.clone()).or_insert(Value::Null);
    }
}

fn parent_json<'a>(ctx: &'a ResolverContext<'a>) -> &'a Value {
    static NULL: Value = Value::Null;
    ctx.parent_value.downcast_ref::<Value>().unwrap_or(&NULL)
}

fn args_json(ctx: &ResolverContext<'_>) -> Value {
    Value::Object(
        ctx.args
            .as_index_map()
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone().into_json().unwrap_or(Value::Null)))
            .collect(),
    )
}

fn path_of(ctx: &ResolverContext<'_>) -> Value {
    let Some(node) = ctx.path_node else {
        return Value::Null;
    };
    let segment = |s: &async_graphql::QueryPathSegment<'_>| match s {
        async_graphql::QueryPathSegment::Index(i) => json!(i),
        async_graphql::QueryPathSegment::Name(n) => json!(n),
    };
    let mut parts: Vec<Value> = std::iter::once(segment(&node.segment))
        .chain(node.parents().map(|p| segment(&p.segment)))
        .collect();
    parts.reverse();
    Value::Array(parts)
}

/// A field resolved by its resolver on the engine, or read off its parent.
fn resolve_field<'a>(
    shared: Arc<Shared>,
    type_name: String,
    field: String,
    ty: ast::Type,
    ctx: ResolverContext<'a>,
) -> FieldFuture<'a> {
    FieldFuture::new(async move {
        let auth = ctx.data::<Arc<RequestAuth>>()?.clone();
        if !shared.allows(&type_name, &field, &auth) {
            return Err(unauthorized(&type_name, &field));
        }
        // a subscription's event is the mutation's response: read it as it is
        let delivered =
            auth.subscription && shared.subscription_root.as_deref() != Some(type_name.as_str());
        if delivered
            || !shared
                .resolvers
                .contains(&(type_name.clone(), field.clone()))
        {
            let v = parent_json(&ctx)
                .get(&field)
                .cloned()
                .unwrap_or(Value::Null);
            return Ok(shared.field_value(v, &ty));
        }
        let mut args = args_json(&ctx);
        if let Some(def) = shared
            .sdl
            .types
            .get(type_name.as_str())
            .and_then(|t| match t {
                ExtendedType::Object(o) => o.fields.get(field.as_str()),
                _ => None,
            })
        {
            for arg in &def.arguments {
                if let Some(v) = args.get_mut(arg.name.as_str()) {
                    *v = shared.parse_json_args(v.take(), &arg.ty);
                }
            }
        }
        let resolved: Resolved = shared
            .engine
            .resolve(Resolve {
                api: shared.api.clone(),
                type_name: type_name.clone(),
                field: field.clone(),
                args,
                source: parent_json(&ctx).clone(),
                caller: auth.caller.clone(),
                deadline: auth.deadline,
            })
            .await;
        let mut errors = resolved.errors.iter();
        let first = if resolved.data.is_null() {
            errors.next()
        } else {
            None
        };
        if resolved.errors.len() > first.is_some() as usize {
            let path = path_of(&ctx);
            if let Ok(mut extra) = auth.extra_errors.lock() {
                for e in errors {
                    extra.push(json!({
                        "path": path, "data": e.data, "errorType": e.error_type,
                        "errorInfo": e.info, "locations": [], "message": e.message,
                    }));
                }
            }
        }
        if let Some(e) = first {
            return Err(with_path(field_error(e), path_of(&ctx)));
        }
        if shared.mutation_root.as_deref() == Some(type_name.as_str())
            && !resolved.data.is_null()
            && let Ok(mut pending) = auth.pending.lock()
        {
            pending.push(Pending {
                key: ctx.item.node.response_key().node.to_string(),
                mutation: field.clone(),
                names: selection_names(ctx.field()),
                events: shared.events.clone(),
            });
        }
        Ok(shared.field_value(resolved.data, &ty))
    })
}

/// Whether `item` passes a subscription filter: the model filter shape our
/// resolvers set (`{field: {eq: ..}, and: [..], or: [..], not: {..}}`) or
/// AppSync's `filterGroup` shape.
pub fn filter_matches(filter: &Value, item: &Value) -> bool {
    let Some(obj) = filter.as_object() else {
        return true;
    };
    if let Some(groups) = obj.get("filterGroup").and_then(Value::as_array) {
        return groups.is_empty()
            || groups.iter().any(|g| {
                g["filters"].as_array().is_none_or(|fs| {
                    fs.iter().all(|f| {
                        let op = f["operator"].as_str().unwrap_or("eq");
                        let name = f["fieldName"].as_str().unwrap_or_default();
                        compare(op, &f["value"], item.get(name).unwrap_or(&Value::Null))
                    })
                })
            });
    }
    obj.iter().all(|(key, cond)| match key.as_str() {
        "and" => cond
            .as_array()
            .is_none_or(|fs| fs.iter().all(|f| filter_matches(f, item))),
        "or" => cond
            .as_array()
            .is_none_or(|fs| fs.is_empty() || fs.iter().any(|f| filter_matches(f, item))),
        "not" => !filter_matches(cond, item),
        field => {
            let actual = item.get(field).unwrap_or(&Value::Null);
            cond.as_object()
                .is_none_or(|ops| ops.iter().all(|(op, v)| compare(op, v, actual)))
        }
    })
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare(op: &str, expected: &Value, actual: &Value) -> bool {
    use std::cmp::Ordering::*;
    let contains = |haystack: &Value, needle: &Value| match (haystack, needle) {
        (Value::String(h), Value::String(n)) => h.contains(n.as_str()),
        (Value::Array(items), n) => items.contains(n),
        _ => false,
    };
    match op {
        "eq" => actual == expected,
        "ne" => actual != expected,
        "lt" => order(actual, expected) == Some(Less),
        "le" => matches!(order(actual, expected), Some(Less | Equal)),
        "gt" => order(actual, expected) == Some(Greater),
        "ge" => matches!(order(actual, expected), Some(Greater | Equal)),
        "contains" => contains(actual, expected),
        "notContains" => !contains(actual, expected),
        "beginsWith" => {
            matches!((actual, expected), (Value::String(a), Value::String(p)) if a.starts_with(p.as_str()))
        }
        "between" => expected.as_array().is_some_and(|r| {
            r.len() == 2
                && matches!(order(actual, &r[0]), Some(Greater | Equal))
                && matches!(order(actual, &r[1]), Some(Less | Equal))
        }),
        "in" => expected.as_array().is_some_and(|xs| xs.contains(actual)),
        "notIn" => expected.as_array().is_some_and(|xs| !xs.contains(actual)),
        "containsAny" => expected
            .as_array()
            .is_some_and(|xs| xs.iter().any(|x| contains(actual, x))),
        "attributeExists" => expected.as_bool() == Some(!actual.is_null()),
        _ => false,
    }
}

/// A subscription field: its resolver runs once when a client subscribes (it
/// may refuse, and may set a filter); then each published result of the
/// mutations it names that passes the arguments and the filter.
fn subscription_field(
    shared: Arc<Shared>,
    field: String,
    def: &ast::FieldDefinition,
) -> SubscriptionField {
    let mutations: Vec<String> = def
        .directives
        .get("aws_subscribe")
        .and_then(|d| d.specified_argument_by_name("mutations"))
        .and_then(|v| v.as_list())
        .map(|l| {
            l.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let ty = def.ty.clone();
    let returned = ty.inner_named_type().to_string();
    let mut sub = SubscriptionField::new(field.clone(), type_ref(&def.ty), move |ctx| {
        let shared = shared.clone();
        let field = field.clone();
        let mutations = mutations.clone();
        let ty = ty.clone();
        let returned = returned.clone();
        SubscriptionFieldFuture::new(async move {
            let auth = ctx.data::<Arc<RequestAuth>>()?.clone();
            let root = shared.subscription_root.clone().unwrap_or_default();
            if !shared.allows(&root, &field, &auth) {
                return Err(with_path(unauthorized(&root, &field), json!([field])));
            }
            let args = args_json(&ctx);
            let mut filter = None;
            if shared.resolvers.contains(&(root.clone(), field.clone())) {
                let resolved = shared
                    .engine
                    .resolve(Resolve {
                        api: shared.api.clone(),
                        type_name: root.clone(),
                        field: field.clone(),
                        args: args.clone(),
                        source: Value::Null,
                        caller: auth.caller.clone(),
                        deadline: auth.deadline,
                    })
                    .await;
                if let Some(e) = resolved.errors.first() {
                    return Err(with_path(field_error(e), json!([field])));
                }
                filter = resolved.subscription_filter;
            }
            // arguments match the result's fields of the same name
            let fields: BTreeSet<String> = match shared.sdl.types.get(returned.as_str()) {
                Some(ExtendedType::Object(o)) => o.fields.keys().map(|k| k.to_string()).collect(),
                _ => BTreeSet::new(),
            };
            let arg_filter: Vec<(String, Value)> = args
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, v)| !v.is_null() && fields.contains(k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let rx = shared.events.subscribe();
            if let Some(tx) = auth.registered.lock().ok().and_then(|mut t| t.take()) {
                let _ = tx.send(());
            }
            let stream = tokio_stream_of(rx).filter_map(move |event| {
                let keep = mutations.contains(&event.mutation)
                    && arg_filter.iter().all(|(k, v)| event.data.get(k) == Some(v))
                    && filter
                        .as_ref()
                        .is_none_or(|f| filter_matches(f, &event.data));
                let value = keep.then(|| shared.field_value(event.data, &ty));
                async move {
                    match value {
                        Some(Some(v)) => Some(Ok::<_, async_graphql::Error>(v)),
                        _ => None,
                    }
                }
            });
            Ok(stream)
        })
    });
    for arg in &def.arguments {
        sub = sub.argument(input_value(arg));
    }
    sub
}

/// The events of a broadcast channel as a stream; a subscriber that lags
/// behind loses the oldest events, as a slow AppSync client does.
fn tokio_stream_of(
    rx: broadcast::Receiver<Published>,
) -> impl futures_util::Stream<Item = Published> + Send {
    futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => return Some((event, rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// Something wrong with the schema the sandbox was given.
#[derive(Debug, thiserror::Error)]
#[error("the api's schema could not be served: {0}")]
pub struct SchemaError(pub String);

/// Build the executable schema from the SDL AppSync is given (`schema.graphql`
/// of the build), with `resolvers` the fields that have one.
///
/// Errors: an SDL that does not parse (it came from `hoist synth`, so this is a bug).
pub fn build(
    sdl_text: &str,
    api: Arc<Api>,
    default_mode: AuthMode,
    engine: Engine,
    events: broadcast::Sender<Published>,
) -> Result<dynamic::Schema, SchemaError> {
    let text = format!("{}\n{sdl_text}", crate::codegen::APPSYNC_DEFINITIONS);
    let sdl = Sdl::parse(text, "schema.graphql").map_err(|e| SchemaError(e.errors.to_string()))?;
    let mut access = BTreeMap::new();
    for (name, ty) in &sdl.types {
        let (directives, fields): (&_, Vec<(&apollo_compiler::Name, &ast::DirectiveList)>) =
            match ty {
                ExtendedType::Object(o) => (
                    &o.directives,
                    o.fields.iter().map(|(n, f)| (n, &f.directives)).collect(),
                ),
                ExtendedType::Interface(i) => (
                    &i.directives,
                    i.fields.iter().map(|(n, f)| (n, &f.directives)).collect(),
                ),
                _ => continue,
            };
        let type_directives: ast::DirectiveList =
            directives.iter().map(|d| d.node.clone()).collect();
        if let Some(a) = allowed_by(&type_directives) {
            access.insert((name.to_string(), String::new()), a);
        }
        for (field, directives) in fields {
            if let Some(a) = allowed_by(directives) {
                access.insert((name.to_string(), field.to_string()), a);
            }
        }
    }
    let root = |op| sdl.root_operation(op).map(|n| n.to_string());
    let query = root(ast::OperationType::Query).unwrap_or_else(|| "Query".into());
    let mutation = root(ast::OperationType::Mutation);
    let subscription = root(ast::OperationType::Subscription);
    let shared = Arc::new(Shared {
        engine,
        events,
        resolvers: api.resolver_fields(),
        api,
        default_mode,
        query_root: query.clone(),
        mutation_root: mutation.clone(),
        subscription_root: subscription.clone(),
        access,
        sdl,
    });
    let sdl = &shared.sdl;
    let mut builder = dynamic::Schema::build(&query, mutation.as_deref(), subscription.as_deref())
        .limit_depth(64)
        .limit_recursive_depth(64);
    for (name, ty) in &sdl.types {
        if ty.is_built_in() {
            continue;
        }
        let name = name.as_str();
        match ty {
            ExtendedType::Scalar(_) => builder = builder.register(appsync_scalar(name)),
            ExtendedType::Enum(e) => {
                builder =
                    builder.register(Enum::new(name).items(e.values.keys().map(|k| k.as_str())))
            }
            ExtendedType::InputObject(input) => {
                let mut obj = InputObject::new(name);
                for def in input.fields.values() {
                    obj = obj.field(input_value(def));
                }
                builder = builder.register(obj);
            }
            ExtendedType::Union(u) => {
                let mut union = Union::new(name);
                for member in &u.members {
                    union = union.possible_type(member.name.as_str());
                }
                builder = builder.register(union);
            }
            ExtendedType::Interface(i) => {
                let mut iface = Interface::new(name);
                for (fname, def) in &i.fields {
                    let mut f = InterfaceField::new(fname.as_str(), type_ref(&def.ty));
                    for arg in &def.arguments {
                        f = f.argument(input_value(arg));
                    }
                    iface = iface.field(f);
                }
                builder = builder.register(iface);
            }
            ExtendedType::Object(o) if Some(name) == subscription.as_deref() => {
                let mut sub = Subscription::new(name);
                for (fname, def) in &o.fields {
                    sub = sub.field(subscription_field(shared.clone(), fname.to_string(), def));
                }
                builder = builder.register(sub);
            }
            ExtendedType::Object(o) => {
                let mut obj = Object::new(name);
                for i in &o.implements_interfaces {
                    obj = obj.implement(i.name.as_str());
                }
                for (fname, def) in &o.fields {
                    let shared = shared.clone();
                    let type_name = name.to_string();
                    let field_name = fname.to_string();
                    let ty = def.ty.clone();
                    let mut f = Field::new(fname.as_str(), type_ref(&def.ty), move |ctx| {
                        resolve_field(
                            shared.clone(),
                            type_name.clone(),
                            field_name.clone(),
                            ty.clone(),
                            ctx,
                        )
                    });
                    for arg in &def.arguments {
                        f = f.argument(input_value(arg));
                    }
                    obj = obj.field(f);
                }
                builder = builder.register(obj);
            }
        }
    }
    builder.finish().map_err(|e| SchemaError(e.to_string()))
}

#[cfg(test)]
mod tests;
