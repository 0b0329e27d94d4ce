//! The access checks of the api's resolvers, in AppSync's JavaScript runtime:
//! the `@auth` roles allowed an operation, turned into functions each resolver
//! file carries (a file is a unit of its own in AppSync).
//!
//! Static roles (API key, IAM, signed-in users, static groups, Lambda) are
//! decided by the request alone. Dynamic roles (owners, groups named in the
//! item) are decided by the item: checked after a read, added to the filter of
//! a list, to the condition of an update or delete, and to the filter of a
//! subscription.

use serde_json::{Value, json};

use crate::render::RenderError;
use crate::render::blueprints::{assets, resolver};
use crate::transform::auth::{Grant, Ops, Role};

/// The access checks of one operation.
pub struct Access<'a> {
    roles: Vec<&'a Role>,
    /// Appended to the functions' names: `staticAccess`, `staticAccessSsn`.
    suffix: String,
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
                Role::IamPrincipals => {
                    "IAM principals their policy allows (the project's functions)".into()
                }
                Role::StaticGroup { group, .. } => format!("the group `{group}`"),
                Role::DynamicGroup { field, .. } => format!("the groups named in `{field}`"),
                Role::Owner { field, .. } => format!("the owners named in `{field}`"),
            })
            .collect();
        parts.join(", ")
    }

    /// A static role as the access template reads it: its auth type, and the
    /// IAM identity kind or the group it also needs.
    fn static_role(role: &Role) -> Option<Value> {
        let auth_type = role.provider().auth_type();
        Some(match role {
            Role::Public(crate::transform::Provider::Iam) => {
                json!({ "auth_type": auth_type, "iam": "unauthenticated", "group": null, "claim": null })
            }
            Role::IamPrincipals => {
                json!({ "auth_type": auth_type, "iam": null, "principal": true, "group": null, "claim": null })
            }
            Role::Private(crate::transform::Provider::Iam) => {
                json!({ "auth_type": auth_type, "iam": "authenticated", "group": null, "claim": null })
            }
            Role::Public(_) | Role::Private(_) | Role::Custom => {
                json!({ "auth_type": auth_type, "iam": null, "group": null, "claim": null })
            }
            Role::StaticGroup { group, claim, .. } => {
                json!({ "auth_type": auth_type, "iam": null, "group": group, "claim": claim })
            }
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
    /// `ownFilter<suffix>(ctx)` and `ownSubscriptionFilter<suffix>(ctx)`
    /// (`blueprints/api/resolvers/access.js.hbs`).
    pub fn functions(
        &self,
        item: bool,
        filter: bool,
        subscription: bool,
    ) -> Result<String, RenderError> {
        let statics: Vec<Value> = self
            .roles
            .iter()
            .filter_map(|r| Self::static_role(r))
            .collect();
        let dynamic: Vec<Value> = self
            .dynamic()
            .map(|r| {
                let (field, claim, list) = Self::claim_of(r);
                json!({ "auth_type": r.provider().auth_type(), "field": field, "claim": claim, "list": list })
            })
            .collect();
        resolver(
            "access",
            &json!({
                "suffix": self.suffix,
                "describe": self.describe(),
                "statics": statics,
                "dynamic": dynamic,
                "item": item,
                "filter": filter,
                "subscription": subscription,
            }),
        )
    }

    /// The owner fields a new item gets from the caller when it does not set
    /// them, as the `fill-owners` partial reads them (`values`: where the item is).
    pub fn owners(&self) -> Vec<Value> {
        self.dynamic()
            .filter_map(|r| match r {
                Role::Owner {
                    field, claim, list, ..
                } => Some(json!({
                    "auth_type": r.provider().auth_type(),
                    "field": field,
                    "claim": claim,
                    "list": list,
                })),
                _ => None,
            })
            .collect()
    }
}

/// The helpers the checks call, each added to a file that calls it
/// (`claim-values.js`, `matches.js`, `filter-tests.js`).
pub fn helpers(code: &str) -> String {
    let mut out = String::new();
    if code.contains("claimValues(") {
        out.push_str(assets::CLAIM_VALUES);
    }
    if code.contains("matches(") {
        out.push_str(assets::MATCHES);
    }
    if code.contains("filterTests(") {
        out.push_str(assets::FILTER_TESTS);
    }
    out
}
