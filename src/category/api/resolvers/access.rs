//! The access checks of the api's resolvers, in AppSync's JavaScript runtime:
//! the `@auth` roles allowed an operation, turned into functions each resolver
//! file carries (a file is a unit of its own in AppSync).
//!
//! Static roles (API key, IAM, signed-in users, static groups, Lambda) are
//! decided by the request alone. Dynamic roles (owners, groups named in the
//! item) are decided by the item: checked after a read, added to the filter of
//! a list, to the condition of an update or delete, and to the filter of a
//! subscription.

use crate::transform::auth::{Grant, Ops, Role};

/// The access checks of one operation.
pub struct Access<'a> {
    roles: Vec<&'a Role>,
    /// Appended to the functions' names: `staticAccess`, `staticAccessSsn`.
    suffix: String,
}

fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".into())
}

fn type_is(role: &Role) -> String {
    format!("type === {}", js_string(role.provider().auth_type()))
}

/// `item.owner`, or `item['odd-name']` for names JavaScript would not take.
fn member(object: &str, field: &str) -> String {
    if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !field.starts_with(|c: char| c.is_ascii_digit())
    {
        format!("{object}.{field}")
    } else {
        format!("{object}[{}]", js_string(field))
    }
}

impl<'a> Access<'a> {
    /// The roles of `grants` allowed `op`.
    pub fn new(grants: &'a [Grant], op: Ops, suffix: &str) -> Access<'a> {
        Access {
            roles: grants
                .iter()
                .filter(|g| g.ops.contains(op))
                .map(|g| &g.role)
                .collect(),
            suffix: suffix.to_string(),
        }
    }

    pub fn has_dynamic(&self) -> bool {
        self.roles.iter().any(|r| !r.is_static())
    }

    fn dynamic(&self) -> impl Iterator<Item = &&'a Role> {
        self.roles.iter().filter(|r| !r.is_static())
    }

    /// In words, for the comment at the top of a resolver.
    pub fn describe(&self) -> String {
        if self.roles.is_empty() {
            return "nobody (no `@auth` rule allows it)".into();
        }
        let parts: Vec<String> = self
            .roles
            .iter()
            .map(|r| match r {
                Role::Public(p) => format!("anyone through {}", p.rule_name()),
                Role::Private(p) => format!("signed-in users of {}", p.rule_name()),
                Role::Custom => "callers the Lambda authorizer lets in".into(),
                Role::StaticGroup { group, .. } => format!("the group `{group}`"),
                Role::DynamicGroup { field, .. } => format!("the groups named in `{field}`"),
                Role::Owner { field, .. } => format!("the owners named in `{field}`"),
            })
            .collect();
        parts.join(", ")
    }

    fn static_expr(role: &Role) -> Option<String> {
        Some(match role {
            Role::Public(crate::transform::Provider::Iam) => format!(
                "({} && ctx.identity.cognitoIdentityAuthType === 'unauthenticated')",
                type_is(role)
            ),
            Role::Private(crate::transform::Provider::Iam) => format!(
                "({} && ctx.identity.cognitoIdentityAuthType === 'authenticated')",
                type_is(role)
            ),
            Role::Public(_) | Role::Private(_) | Role::Custom => type_is(role),
            Role::StaticGroup { group, claim, .. } => format!(
                "({} && claimValues(ctx, {}).includes({}))",
                type_is(role),
                js_string(claim),
                js_string(group)
            ),
            _ => return None,
        })
    }

    fn claim_of(role: &Role) -> (&str, &str, bool) {
        match role {
            Role::Owner {
                field, claim, list, ..
            }
            | Role::DynamicGroup {
                field, claim, list, ..
            } => (field, claim, *list),
            _ => ("", "", false),
        }
    }

    /// The functions this operation's checks use: `staticAccess<suffix>(ctx)`,
    /// and with dynamic roles `itemAccess<suffix>(ctx, item)`,
    /// `ownFilter<suffix>(ctx)` and `ownSubscriptionFilter<suffix>(ctx)`.
    pub fn functions(&self, item: bool, filter: bool, subscription: bool) -> String {
        let s = &self.suffix;
        let statics: Vec<String> = self
            .roles
            .iter()
            .filter_map(|r| Self::static_expr(r))
            .collect();
        let mut out = if statics.is_empty() {
            format!(
                "// May the caller do this whatever the item? No: {}.\nfunction staticAccess{s}() {{\n  return false;\n}}\n",
                self.describe()
            )
        } else {
            format!(
                "// May the caller do this whatever the item? Allowed: {}.\nfunction staticAccess{s}(ctx) {{\n  const type = util.authType();\n  return {};\n}}\n",
                self.describe(),
                statics.join(" || ")
            )
        };
        if !self.has_dynamic() {
            return out;
        }
        let (want_item, want_filter, want_subscription) = (item, filter, subscription);
        let item_checks: Vec<String> = self
            .dynamic()
            .map(|r| {
                let (field, claim, _) = Self::claim_of(r);
                format!(
                    "({} && matches({}, claimValues(ctx, {})))",
                    type_is(r),
                    member("item", field),
                    js_string(claim)
                )
            })
            .collect();
        if want_item {
            out.push_str(&format!(
                "\n// Is the caller one of the item's owners or groups?\nfunction itemAccess{s}(ctx, item) {{\n  const type = util.authType();\n  return {};\n}}\n",
                item_checks.join(" || ")
            ));
        }
        let mut filter = format!(
            "\n// The caller's items, as a filter; null when no owner or group rule applies.\nfunction ownFilter{s}(ctx) {{\n  const type = util.authType();\n  let any = [];\n"
        );
        let mut subscription = format!(
            "\n// The caller's items, as a subscription filter; null when no owner or group rule applies.\nfunction ownSubscriptionFilter{s}(ctx) {{\n  const type = util.authType();\n  const any = [];\n"
        );
        for r in self.dynamic() {
            let (field, claim, list) = Self::claim_of(r);
            let op = if list { "contains" } else { "eq" };
            filter.push_str(&format!(
                "  if ({}) {{\n    any = any.concat(claimValues(ctx, {}).map((value) => ({{ {}: {{ {op}: value }} }})));\n  }}\n",
                type_is(r),
                js_string(claim),
                js_string(field)
            ));
            let sub_op = if list { "containsAny" } else { "in" };
            subscription.push_str(&format!(
                "  if ({}) {{\n    const values = claimValues(ctx, {});\n    if (values.length > 0) {{\n      any.push({{ {}: {{ {sub_op}: values }} }});\n    }}\n  }}\n",
                type_is(r),
                js_string(claim),
                js_string(field)
            ));
        }
        filter.push_str("  if (any.length === 0) {\n    return null;\n  }\n  return any.length === 1 ? any[0] : { or: any };\n}\n");
        subscription.push_str("  if (any.length === 0) {\n    return null;\n  }\n  return any.length === 1 ? any[0] : { or: any };\n}\n");
        if want_filter {
            out.push_str(&filter);
        }
        if want_subscription {
            out.push_str(&subscription);
        }
        out
    }

    /// Owner fields a new item gets from the caller when it does not set them.
    pub fn fill_owners(&self, values: &str) -> String {
        let mut out = String::new();
        for r in self.dynamic() {
            if let Role::Owner {
                field, claim, list, ..
            } = r
            {
                let target = member(values, field);
                let value = if *list {
                    format!("[claimValues(ctx, {})[0]]", js_string(claim))
                } else {
                    format!("claimValues(ctx, {})[0]", js_string(claim))
                };
                out.push_str(&format!(
                    "  if (util.authType() === {} && ({target} === undefined || {target} === null) && claimValues(ctx, {}).length > 0) {{\n    {target} = {value};\n  }}\n",
                    js_string(r.provider().auth_type()),
                    js_string(claim)
                ));
            }
        }
        out
    }
}

/// The helpers the checks call, each added to a file that calls it.
pub fn helpers(code: &str) -> String {
    let mut out = String::new();
    if code.contains("claimValues(") {
        out.push_str(CLAIM_VALUES);
    }
    if code.contains("matches(") {
        out.push_str(MATCHES);
    }
    out
}

const CLAIM_VALUES: &str =
    "// The caller's values of a claim. Owners are stored as `<sub>::<username>` by
// default (as Amplify stores them); the sub or the username alone match too.
function claimValues(ctx, claim) {
  const identity = ctx.identity ?? {};
  const claims = identity.claims ?? {};
  if (claim === 'sub::username') {
    const username = claims['cognito:username'] ?? claims.username ?? identity.username;
    const sub = claims.sub ?? identity.sub;
    const values = [];
    if (sub && username) {
      values.push(`${sub}::${username}`);
    }
    if (sub) {
      values.push(sub);
    }
    if (username) {
      values.push(username);
    }
    return values;
  }
  const value = claims[claim] ?? (claim === 'username' ? identity.username : undefined);
  if (value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}
";

const MATCHES: &str = "
// Whether a field's value (one name or a list) is among the candidates.
function matches(value, candidates) {
  if (value === undefined || value === null) {
    return false;
  }
  if (Array.isArray(value)) {
    return value.some((v) => candidates.includes(v));
  }
  return candidates.includes(value);
}
";
