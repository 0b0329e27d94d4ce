//! The AppSync JavaScript resolvers (APPSYNC_JS 1.0.0) of the api, one module
//! per directive family as in the transformer: `model` (queries, mutations,
//! subscriptions), `relations`, `searchable`, `keys` (composite sort keys),
//! and `access`, the `@auth` checks every resolver starts with.

pub mod access;
mod keys;
mod model;
mod relations;
mod searchable;

use serde_json::{Value, json};

use crate::synth::cfn::{self};
use crate::transform::auth::Ops;
use crate::transform::{Key, Model};

use access::Access;

pub use model::{local_functions, resolver_functions};
pub use relations::relation_functions;
pub use searchable::{SEARCH_STREAMING_CODE, search_index, search_resolver};

pub(super) const RUNTIME: (&str, &str) = ("APPSYNC_JS", "1.0.0");

pub(super) fn runtime() -> Value {
    json!({ "Name": RUNTIME.0, "RuntimeVersion": RUNTIME.1 })
}

/// A JavaScript string literal.
pub(super) fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The value of a composite sort key: the fields' values joined by `#`.
pub(super) fn joined(fields: &[String], source: &str) -> String {
    let parts: Vec<String> = fields.iter().map(|f| format!("{source}.{f}")).collect();
    format!("[{}].join('#')", parts.join(", "))
}

/// `{ id: source.id, name: source.name }` for a key, from the values in `source`.
pub(super) fn key_object(key: &Key, source: &str) -> String {
    let mut parts = vec![format!("{0}: {source}.{0}", key.partition)];
    if let Some(attribute) = key.sort_attribute() {
        if key.is_composite() {
            parts.push(format!("{}: {}", js(&attribute), joined(&key.sort, source)));
        } else {
            parts.push(format!("{attribute}: {source}.{attribute}"));
        }
    }
    format!("{{ {} }}", parts.join(", "))
}

pub(super) const IMPORTS: &str = "import { util } from '@aws-appsync/utils';\nimport * as ddb from '@aws-appsync/utils/dynamodb';\n";

pub(super) const ERROR_OUT: &str = "export function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  return ctx.result;\n}\n";

pub(super) const PAGE_OUT: &str = "export function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  const { items = [], nextToken = null } = ctx.result;\n  return { items, nextToken };\n}\n";

/// A resolver file: imports, the access functions and their helpers, then the handlers.
pub(super) fn file(imports: &str, functions: &str, body: &str) -> String {
    let helpers = access::helpers(functions);
    let mut out = String::from(imports);
    out.push('\n');
    out.push_str(functions);
    if !helpers.is_empty() {
        out.push('\n');
        out.push_str(&helpers);
    }
    out.push('\n');
    out.push_str(body);
    out
}

/// The checks of a read of one item: before it (could any rule let the caller
/// in?) and after it (does one let them see this item?).
pub(super) fn read_one_checks(access: &Access) -> (&'static str, &'static str) {
    if access.has_dynamic() {
        (
            "  if (!staticAccess(ctx) && ownFilter(ctx) === null) {\n    util.unauthorized();\n  }\n",
            "  if (ctx.result && !staticAccess(ctx) && !itemAccess(ctx, ctx.result)) {\n    util.unauthorized();\n  }\n",
        )
    } else {
        (
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n",
            "",
        )
    }
}

/// The lines that narrow a read of many items to what the caller may see: all
/// of them, their own, or none. Leaves `filter` (the caller's filter, narrowed).
pub(super) fn narrow_filter(access: &Access) -> String {
    if access.has_dynamic() {
        "  let filter = ctx.args.filter ?? undefined;\n  if (!staticAccess(ctx)) {\n    const own = ownFilter(ctx);\n    if (own === null) {\n      util.unauthorized();\n    }\n    filter = filter ? { and: [filter, own] } : own;\n  }\n".into()
    } else {
        "  const filter = ctx.args.filter ?? undefined;\n  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n".into()
    }
}

/// The checks of a write on fields with rules of their own: each field set by
/// the input needs its own permission (`source`: the input's values).
pub(super) fn field_write_checks(
    model: &Model,
    op: Ops,
    source: &str,
    conditions: bool,
) -> (String, String) {
    let (mut functions, mut checks) = (String::new(), String::new());
    for (field, grants) in &model.auth.fields {
        let suffix = cfn::pascal(field);
        let a = Access::new(grants, op, &suffix);
        let dynamic = a.has_dynamic();
        functions.push('\n');
        functions.push_str(&a.functions(dynamic && !conditions, dynamic && conditions, false));
        let value = format!(
            "{source}[{}]",
            serde_json::to_string(field).unwrap_or_default()
        );
        if dynamic && conditions {
            checks.push_str(&format!("  if ({value} !== undefined && !staticAccess{suffix}(ctx)) {{\n    const own = ownFilter{suffix}(ctx);\n    if (own === null) {{\n      util.unauthorized();\n    }}\n    conditions.push(own);\n  }}\n"));
        } else if dynamic {
            checks.push_str(&format!("  if ({value} !== undefined && !staticAccess{suffix}(ctx) && !itemAccess{suffix}(ctx, {source})) {{\n    util.unauthorized();\n  }}\n"));
        } else {
            checks.push_str(&format!("  if ({value} !== undefined && !staticAccess{suffix}(ctx)) {{\n    util.unauthorized();\n  }}\n"));
        }
    }
    (functions, checks)
}

/// The code of the pipeline around each operation: hand the arguments in, the function's result out.
pub const PIPELINE_CODE: &str = "export function request(ctx) {\n  return {};\n}\n\nexport function response(ctx) {\n  return ctx.prev.result;\n}\n";

/// One generated resolver: `type_name.field`, kept as `file`.
pub struct Resolver {
    pub type_name: String,
    pub field: String,
    pub file: String,
    pub code: String,
}

impl Resolver {
    fn new(type_name: &str, field: &str, code: String) -> Resolver {
        Resolver {
            type_name: type_name.to_string(),
            field: field.to_string(),
            file: format!("{type_name}.{field}.js"),
            code,
        }
    }
}

/// Every resolver of a model's stack and of its relation fields, for reading.
pub fn all_resolvers(model: &Model, models: &[Model]) -> Vec<Resolver> {
    let mut out = resolver_functions(model);
    out.extend(local_functions(model));
    out.extend(
        relation_functions(model, models)
            .into_iter()
            .map(|(r, _)| r),
    );
    out
}

/// The pipeline code around a user's resolver of a custom field: the field's
/// `@auth` rules (static ones: API key, IAM, signed-in users, groups) first.
pub fn custom_pipeline_code(grants: Option<&[crate::transform::auth::Grant]>) -> String {
    let Some(grants) = grants else {
        return PIPELINE_CODE.to_string();
    };
    let a = Access::new(grants, Ops::GET, "");
    file(
        "import { util } from '@aws-appsync/utils';\n",
        &a.functions(false, false, false),
        "export function request(ctx) {\n  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n  return {};\n}\n\nexport function response(ctx) {\n  return ctx.prev.result;\n}\n",
    )
}

/// The code of a function that calls a Lambda function for `@function`, with
/// the event Amplify's `@function` sends.
pub const INVOKE_CODE: &str = "import { util } from '@aws-appsync/utils';\n\n// Calls the Lambda function of `@function` with the field's arguments, the caller's\n// identity, the parent item and the previous step's result.\nexport function request(ctx) {\n  return {\n    operation: 'Invoke',\n    payload: {\n      typeName: ctx.info.parentTypeName,\n      fieldName: ctx.info.fieldName,\n      arguments: ctx.args,\n      identity: ctx.identity,\n      source: ctx.source,\n      request: ctx.request,\n      prev: ctx.prev,\n    },\n  };\n}\n\nexport function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  return ctx.result;\n}\n";
