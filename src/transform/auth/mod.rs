//! `@auth`: who may do what to a model, as Amplify's transformer v2 reads the
//! rules. The rules become roles (one per strategy, provider and owner field or
//! group), each allowed some operations on the whole model or on one field. The
//! client-facing schema gets AppSync's auth directives from them, and the
//! resolvers enforce them (see `category::api`).

use super::{SchemaProblem, span};
use apollo_compiler::Node;
use apollo_compiler::ast::{Directive, Value};

/// An authorization provider, in the order Amplify writes their directives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Provider {
    ApiKey,
    Iam,
    Oidc,
    UserPools,
    Function,
}

impl Provider {
    pub const ALL: [Provider; 5] = [
        Provider::ApiKey,
        Provider::Iam,
        Provider::Oidc,
        Provider::UserPools,
        Provider::Function,
    ];

    /// AppSync's directive for the provider.
    pub fn directive(self) -> &'static str {
        match self {
            Provider::ApiKey => "aws_api_key",
            Provider::Iam => "aws_iam",
            Provider::Oidc => "aws_oidc",
            Provider::UserPools => "aws_cognito_user_pools",
            Provider::Function => "aws_lambda",
        }
    }

    /// What `util.authType()` returns in a resolver for a request through it.
    pub fn auth_type(self) -> &'static str {
        match self {
            Provider::ApiKey => "API Key Authorization",
            Provider::Iam => "IAM Authorization",
            Provider::Oidc => "Open ID Connect Authorization",
            Provider::UserPools => "User Pool Authorization",
            Provider::Function => "Lambda Authorization",
        }
    }

    /// The name in a rule (`provider: userPools`).
    pub fn rule_name(self) -> &'static str {
        match self {
            Provider::ApiKey => "apiKey",
            Provider::Iam => "iam",
            Provider::Oidc => "oidc",
            Provider::UserPools => "userPools",
            Provider::Function => "function",
        }
    }

    /// The `--auth` value of `hoist add api` / `hoist update api` that turns it on.
    pub fn mode_flag(self) -> &'static str {
        match self {
            Provider::ApiKey => "api-key",
            Provider::Iam => "iam",
            Provider::Oidc => "oidc",
            Provider::UserPools => "user-pools",
            Provider::Function => "lambda",
        }
    }

    fn from_rule(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.rule_name() == name)
    }
}

/// The authorization modes of the API the schema is transformed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modes {
    pub default: Provider,
    pub additional: Vec<Provider>,
    /// IAM principals that are not identity pool identities (a project
    /// function's role granted `--access api:...`) may call every field
    /// their IAM policy allows, whatever the `@auth` rules: Amplify's IAM
    /// authorization mode (`iamConfig.enableIamAuthorizationMode`, whose
    /// resolvers admit an IAM caller without `cognitoIdentityPoolId` and
    /// `cognitoIdentityId`). Needs [`Provider::Iam`] among the modes.
    pub iam_principals: bool,
}

impl Modes {
    /// An API key and nothing else.
    pub fn api_key() -> Modes {
        Modes {
            default: Provider::ApiKey,
            additional: Vec::new(),
            iam_principals: false,
        }
    }

    /// Every mode, user pools by default: what a schema can at most ask for.
    pub fn all() -> Modes {
        Modes {
            default: Provider::UserPools,
            additional: vec![
                Provider::ApiKey,
                Provider::Iam,
                Provider::Oidc,
                Provider::Function,
            ],
            iam_principals: false,
        }
    }

    pub fn has(&self, provider: Provider) -> bool {
        self.default == provider || self.additional.contains(&provider)
    }

    /// `grants` with [`Role::IamPrincipals`] allowed everything, when the
    /// api admits IAM principals.
    pub fn with_principals(&self, mut grants: Vec<Grant>) -> Vec<Grant> {
        if self.iam_principals && self.has(Provider::Iam) {
            grants.push(Grant {
                role: Role::IamPrincipals,
                ops: Ops::ALL,
            });
        }
        grants
    }
}

/// Operations a role may be allowed, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ops(u16);

impl Ops {
    pub const CREATE: Ops = Ops(1);
    pub const UPDATE: Ops = Ops(2);
    pub const DELETE: Ops = Ops(4);
    pub const GET: Ops = Ops(8);
    pub const LIST: Ops = Ops(16);
    pub const SYNC: Ops = Ops(32);
    pub const LISTEN: Ops = Ops(64);
    pub const SEARCH: Ops = Ops(128);
    pub const READ: Ops = Ops(8 | 16 | 32 | 64 | 128);
    pub const ALL: Ops = Ops(255);

    pub fn contains(self, other: Ops) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn intersects(self, other: Ops) -> bool {
        self.0 & other.0 != 0
    }

    pub fn union(self, other: Ops) -> Ops {
        Ops(self.0 | other.0)
    }

    fn parse(name: &str) -> Option<Ops> {
        Some(match name {
            "create" => Ops::CREATE,
            "update" => Ops::UPDATE,
            "delete" => Ops::DELETE,
            "read" => Ops::READ,
            "get" => Ops::GET,
            "list" => Ops::LIST,
            "sync" => Ops::SYNC,
            "listen" => Ops::LISTEN,
            "search" => Ops::SEARCH,
            _ => return None,
        })
    }
}

/// Who a rule lets in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// `allow: public`: anyone with the API key, or IAM guests.
    Public(Provider),
    /// `allow: private`: any signed-in user of the provider.
    Private(Provider),
    /// `allow: custom`: whoever the Lambda authorizer lets in.
    Custom,
    /// IAM principals of the account that are not identity pool
    /// identities (project functions' roles), as their IAM policy allows:
    /// added to every rule set when [`Modes::iam_principals`], never written.
    IamPrincipals,
    /// `allow: groups, groups: [...]`: members of a group named in the schema.
    StaticGroup {
        provider: Provider,
        group: String,
        claim: String,
    },
    /// `allow: groups, groupsField`: members of a group named in the item.
    DynamicGroup {
        provider: Provider,
        field: String,
        claim: String,
        list: bool,
    },
    /// `allow: owner`: the users named in the item's owner field.
    Owner {
        provider: Provider,
        field: String,
        claim: String,
        list: bool,
    },
}

impl Role {
    pub fn provider(&self) -> Provider {
        match self {
            Role::Public(p) | Role::Private(p) => *p,
            Role::Custom => Provider::Function,
            Role::IamPrincipals => Provider::Iam,
            Role::StaticGroup { provider, .. }
            | Role::DynamicGroup { provider, .. }
            | Role::Owner { provider, .. } => *provider,
        }
    }

    /// Decided by the request alone, without looking at the item.
    pub fn is_static(&self) -> bool {
        !matches!(self, Role::DynamicGroup { .. } | Role::Owner { .. })
    }
}

/// A role and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub ops: Ops,
}

/// Who may do what to one model: its own rules, and the rules of fields that have their own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelAuth {
    pub grants: Vec<Grant>,
    pub fields: Vec<(String, Vec<Grant>)>,
}

impl ModelAuth {
    /// The roles allowed `op` on the model.
    pub fn roles(&self, op: Ops) -> Vec<&Role> {
        self.grants
            .iter()
            .filter(|g| g.ops.contains(op))
            .map(|g| &g.role)
            .collect()
    }

    /// The model's grants as a delete sees them: deleting an item deletes
    /// every field, so a role may delete only if each field with rules of
    /// its own lets it delete too (Amplify's `getRolesPerOperation('delete',
    /// true)`: full access over every field); other roles keep their other
    /// operations.
    pub fn delete_grants(&self) -> Vec<Grant> {
        self.grants
            .iter()
            .map(|g| {
                let everywhere = self.fields.iter().all(|(_, field)| {
                    field
                        .iter()
                        .any(|f| f.role == g.role && f.ops.contains(Ops::DELETE))
                });
                if g.ops.contains(Ops::DELETE) && !everywhere {
                    Grant {
                        role: g.role.clone(),
                        ops: Ops(g.ops.0 & !Ops::DELETE.0),
                    }
                } else {
                    g.clone()
                }
            })
            .collect()
    }

    /// The roles allowed any operation of `op` on the model (its own rules).
    pub fn roles_of_any(&self, op: Ops) -> Vec<&Role> {
        self.grants
            .iter()
            .filter(|g| g.ops.intersects(op))
            .map(|g| &g.role)
            .collect()
    }

    /// The roles allowed `op` on the model or on any of its fields.
    pub fn roles_any(&self, op: Ops) -> Vec<&Role> {
        let mut out: Vec<&Role> = Vec::new();
        for grant in self
            .grants
            .iter()
            .chain(self.fields.iter().flat_map(|(_, g)| g.iter()))
            .filter(|g| g.ops.intersects(op))
        {
            if !out.contains(&&grant.role) {
                out.push(&grant.role);
            }
        }
        out
    }

    /// Every role, of the model and of its fields, in the order first declared.
    pub fn all_roles(&self) -> Vec<&Role> {
        let mut out: Vec<&Role> = Vec::new();
        for grant in self
            .grants
            .iter()
            .chain(self.fields.iter().flat_map(|(_, g)| g.iter()))
        {
            if !out.contains(&&grant.role) {
                out.push(&grant.role);
            }
        }
        out
    }

    /// Owner fields (the model's and its fields' rules), in the order first declared.
    pub fn owner_fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for role in self.all_roles() {
            if let Role::Owner { field, .. } = role
                && !out.contains(&field.as_str())
            {
                out.push(field);
            }
        }
        out
    }

    /// Fields the dynamic roles of user pools and OIDC read (owners and group lists).
    pub fn dynamic_fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for role in self.all_roles() {
            if let Role::Owner { field, .. } | Role::DynamicGroup { field, .. } = role
                && !out.contains(&field.as_str())
            {
                out.push(field);
            }
        }
        out
    }

    /// Whether the model has rules of its own or the global rule's (the
    /// project functions' access, [`Role::IamPrincipals`], is no rule: a
    /// model without rules is closed to every other caller).
    pub fn has_rules(&self) -> bool {
        self.grants.iter().any(|g| g.role != Role::IamPrincipals)
    }

    /// The grants of a field with rules of its own.
    pub fn field(&self, name: &str) -> Option<&[Grant]> {
        self.fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, g)| g.as_slice())
    }
}

/// One rule of `@auth(rules: [...])`, as written.
#[derive(Debug, Clone, Default)]
pub struct Rule {
    pub allow: String,
    pub provider: Option<String>,
    pub owner_field: Option<String>,
    pub identity_claim: Option<String>,
    pub group_claim: Option<String>,
    pub groups_field: Option<String>,
    pub groups: Vec<String>,
    pub operations: Option<Vec<String>>,
    /// Where the rule is, for errors.
    pub location: Option<apollo_compiler::parser::SourceSpan>,
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string()),
        Value::Enum(e) => Some(e.to_string()),
        _ => None,
    }
}

fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => items.iter().filter_map(|v| text(v)).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// The rules of an `@auth` directive (`rules:` is checked against its type by validation).
pub fn rules(directive: &Directive) -> Vec<Rule> {
    let Some(argument) = directive.arguments.iter().find(|a| a.name == "rules") else {
        return Vec::new();
    };
    let items: Vec<&Node<Value>> = match argument.value.as_ref() {
        Value::List(items) => items.iter().collect(),
        _ => vec![&argument.value],
    };
    items
        .into_iter()
        .filter_map(|item| match item.as_ref() {
            Value::Object(fields) => {
                let mut rule = Rule {
                    location: item.location(),
                    ..Rule::default()
                };
                for (key, value) in fields {
                    match key.as_str() {
                        "allow" => rule.allow = text(value).unwrap_or_default(),
                        "provider" => rule.provider = text(value),
                        "ownerField" => rule.owner_field = text(value),
                        "identityClaim" => rule.identity_claim = text(value),
                        "groupClaim" => rule.group_claim = text(value),
                        "groupsField" => rule.groups_field = text(value),
                        "groups" => rule.groups = texts(value),
                        "operations" => rule.operations = Some(texts(value)),
                        _ => {}
                    }
                }
                Some(rule)
            }
            _ => None,
        })
        .collect()
}

/// The default identity claim: Amplify stores owners as `<sub>::<username>`.
pub const DEFAULT_IDENTITY_CLAIM: &str = "sub::username";
pub const DEFAULT_GROUP_CLAIM: &str = "cognito:groups";

/// What is wrong with a rule, and how to fix it.
pub struct RuleProblem {
    pub message: String,
    pub help: String,
}

/// A rule as a grant, given the API's modes and whether a field is a list; or
/// what is wrong with it.
pub fn grant(
    rule: &Rule,
    modes: &Modes,
    is_list: impl Fn(&str) -> Option<bool>,
) -> Result<Vec<Grant>, RuleProblem> {
    let problem = |message: String, help: &str| RuleProblem {
        message,
        help: help.to_string(),
    };
    let default_provider = match rule.allow.as_str() {
        "public" => Provider::ApiKey,
        "private" | "owner" | "groups" => Provider::UserPools,
        "custom" => Provider::Function,
        other => {
            return Err(problem(
                format!("`allow: {other}` is not an authorization strategy"),
                "use one of owner, groups, private, public or custom",
            ));
        }
    };
    let provider = match &rule.provider {
        None => default_provider,
        Some(name) => Provider::from_rule(name).ok_or_else(|| {
            problem(
                format!("`provider: {name}` is not an authorization provider"),
                "use one of apiKey, iam, oidc, userPools or function",
            )
        })?,
    };
    let allowed: &[Provider] = match rule.allow.as_str() {
        "public" => &[Provider::ApiKey, Provider::Iam],
        "private" => &[Provider::UserPools, Provider::Oidc, Provider::Iam],
        "owner" | "groups" => &[Provider::UserPools, Provider::Oidc],
        _ => &[Provider::Function],
    };
    if !allowed.contains(&provider) {
        let names: Vec<&str> = allowed.iter().map(|p| p.rule_name()).collect();
        return Err(problem(
            format!(
                "`allow: {}` cannot use `provider: {}`",
                rule.allow,
                provider.rule_name()
            ),
            &format!(
                "`allow: {}` works with the provider{} {}",
                rule.allow,
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
        ));
    }
    if !modes.has(provider) {
        return Err(problem(
            format!(
                "this rule uses `{}` authorization, which the API does not have",
                provider.rule_name()
            ),
            &format!(
                "turn it on with `hoist update api NAME --additional-auth {}`, or change the rule",
                provider.mode_flag()
            ),
        ));
    }
    let mut ops = Ops::default();
    for name in rule.operations.iter().flatten() {
        match Ops::parse(name) {
            Some(op) => ops = ops.union(op),
            None => {
                return Err(problem(
                    format!("`{name}` is not an operation"),
                    "use create, update, delete, read, or get, list, sync, listen and search",
                ));
            }
        }
    }
    if rule.operations.is_none() {
        ops = Ops::ALL;
    }
    let claim = rule
        .identity_claim
        .clone()
        .unwrap_or_else(|| DEFAULT_IDENTITY_CLAIM.to_string());
    let group_claim = rule
        .group_claim
        .clone()
        .unwrap_or_else(|| DEFAULT_GROUP_CLAIM.to_string());
    let check_field = |field: &str, what: &str| -> Result<bool, RuleProblem> {
        // A missing owner field is added as `String`; a missing groups field cannot be guessed.
        match is_list(field) {
            Some(list) => Ok(list),
            None if what == "owner" => Ok(false),
            None => Err(problem(
                format!("the groups field `{field}` is not a field of the model"),
                "add it, as `String` or `[String]`, or name another field in `groupsField`",
            )),
        }
    };
    let roles: Vec<Role> = match rule.allow.as_str() {
        "public" => vec![Role::Public(provider)],
        "private" => vec![Role::Private(provider)],
        "custom" => vec![Role::Custom],
        "owner" => {
            let field = rule.owner_field.clone().unwrap_or_else(|| "owner".into());
            let list = check_field(&field, "owner")?;
            vec![Role::Owner {
                provider,
                field,
                claim,
                list,
            }]
        }
        _ => {
            if let Some(field) = &rule.groups_field {
                let list = check_field(field, "groups")?;
                vec![Role::DynamicGroup {
                    provider,
                    field: field.clone(),
                    claim: group_claim,
                    list,
                }]
            } else if rule.groups.is_empty() {
                return Err(problem(
                    "a `groups` rule names no group".into(),
                    "list the groups (`groups: [\"Admin\"]`) or name the field that holds them (`groupsField: \"groups\"`)",
                ));
            } else {
                rule.groups
                    .iter()
                    .map(|group| Role::StaticGroup {
                        provider,
                        group: group.clone(),
                        claim: group_claim.clone(),
                    })
                    .collect()
            }
        }
    };
    Ok(roles.into_iter().map(|role| Grant { role, ops }).collect())
}

/// Grants merged by role: a role named by two rules gets both rules' operations.
pub fn merge(grants: Vec<Grant>) -> Vec<Grant> {
    let mut out: Vec<Grant> = Vec::new();
    for grant in grants {
        match out.iter_mut().find(|g| g.role == grant.role) {
            Some(existing) => existing.ops = existing.ops.union(grant.ops),
            None => out.push(grant),
        }
    }
    out
}

/// The `globalAuthRule` of `input AMPLIFY { globalAuthRule: AuthRule = { allow: public } }`:
/// the rule of every model without `@auth`.
pub fn global_rule(
    document: &apollo_compiler::ast::Document,
) -> Option<(Rule, Option<apollo_compiler::parser::SourceSpan>)> {
    document.definitions.iter().find_map(|d| match d {
        apollo_compiler::ast::Definition::InputObjectTypeDefinition(input)
            if input.name == "AMPLIFY" =>
        {
            let field = input.fields.iter().find(|f| f.name == "globalAuthRule")?;
            let value = field.default_value.as_ref()?;
            let Value::Object(fields) = value.as_ref() else {
                return None;
            };
            let mut rule = Rule {
                location: value.location(),
                ..Rule::default()
            };
            for (key, value) in fields {
                match key.as_str() {
                    "allow" => rule.allow = text(value).unwrap_or_default(),
                    "provider" => rule.provider = text(value),
                    "operations" => rule.operations = Some(texts(value)),
                    _ => {}
                }
            }
            Some((rule, field.location()))
        }
        _ => None,
    })
}

/// AppSync's auth directives for a set of providers, as Amplify decides them:
/// every provider that is not the default; the default one too when others are
/// there (and `with_default`, or when the default is among the providers).
pub fn service_directives(
    providers: &[Provider],
    modes: &Modes,
    with_default: bool,
) -> Vec<&'static str> {
    if providers.is_empty() {
        return Vec::new();
    }
    let others = providers.iter().any(|p| *p != modes.default);
    let mut out: Vec<&'static str> = Vec::new();
    for p in Provider::ALL {
        if (p != modes.default && providers.contains(&p))
            || (p == modes.default && others && with_default)
        {
            out.push(p.directive());
        }
    }
    if providers.contains(&modes.default) && others && !out.contains(&modes.default.directive()) {
        out.push(modes.default.directive());
    }
    out
}

/// The providers of some roles, each once, in the order first seen.
pub fn providers<'a>(roles: impl IntoIterator<Item = &'a Role>) -> Vec<Provider> {
    let mut out = Vec::new();
    for role in roles {
        let p = role.provider();
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// `@auth` on a type or its fields: on models (or, with static rules, on the
/// fields of other types), each rule well-formed and using a mode the API has.
pub(super) fn auth_problems(
    type_name: &str,
    is_model: bool,
    directives: &apollo_compiler::ast::DirectiveList,
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
    modes: &Modes,
    problems: &mut Vec<SchemaProblem>,
) {
    let is_list = |f: &str| fields.iter().find(|d| d.name == f).map(|d| d.ty.is_list());
    let root = matches!(type_name, "Query" | "Mutation" | "Subscription");
    let mut check = |directive: &apollo_compiler::Node<apollo_compiler::ast::Directive>,
                     on_model: bool,
                     on_field: bool| {
        let rules = rules(directive);
        if rules.is_empty() {
            problems.push(SchemaProblem {
                message: "`@auth` has no rules".into(),
                span: span(directive.location()),
                label: "@auth".into(),
                help: Some(
                    "list the rules (`@auth(rules: [{ allow: owner }])`), or remove the directive"
                        .into(),
                ),
                src: None,
            });
        }
        for rule in rules {
            if let Some(problem) = holder_type_problem(&rule, fields) {
                problems.push(problem);
                continue;
            }
            if let Some((message, help)) = rule_shape_problem(&rule, on_model, on_field, root) {
                problems.push(SchemaProblem {
                    message,
                    span: span(rule.location.or(directive.location())),
                    label: "rule".into(),
                    help: Some(help),
                    src: None,
                });
                continue;
            }
            match grant(&rule, modes, is_list) {
                Ok(grants) => {
                    if !on_model && grants.iter().any(|g| !g.role.is_static()) {
                        problems.push(SchemaProblem {
                            message: format!("`allow: {}` rules need a model: `{type_name}` is not one", rule.allow),
                            span: span(rule.location.or(directive.location())),
                            label: "rule".into(),
                            help: Some("owner and `groupsField` rules read the item; on other types use public, private, custom or static `groups` rules".into()), src: None,
                        });
                    }
                }
                Err(problem) => problems.push(SchemaProblem {
                    message: problem.message,
                    span: span(rule.location.or(directive.location())),
                    label: "rule".into(),
                    help: Some(problem.help),
                    src: None,
                }),
            }
        }
    };
    let mut not_a_model = Vec::new();
    for directive in directives.iter().filter(|d| d.name == "auth") {
        if !is_model {
            not_a_model.push(SchemaProblem {
                message: format!("`@auth` on `{type_name}`, which is not a model"),
                span: span(directive.location()),
                label: "@auth".into(),
                help: Some(format!(
                    "add `@model` to `{type_name}`, or put the rules on its fields"
                )),
                src: None,
            });
            continue;
        }
        check(directive, true, false);
    }
    for field in fields {
        for directive in field.directives.iter().filter(|d| d.name == "auth") {
            check(directive, is_model, true);
        }
    }
    problems.extend(not_a_model);
}

/// A rule whose arguments do not go together, as Amplify's auth transformer
/// refuses them (its `validations.ts` and `getAuthDirectiveRules`): an
/// identity claim on a groups rule or a group claim on an owner rule, `groups` beside `groupsField`, per-operation
/// reads on a field, `read` beside its parts, and `operations` where there
/// are none to choose (root fields, fields of types that are not models).
/// The message and the fix.
fn rule_shape_problem(
    rule: &Rule,
    on_model: bool,
    on_field: bool,
    root: bool,
) -> Option<(String, String)> {
    if rule.identity_claim.is_some() && rule.allow == "groups" {
        return Some((
            "`identityClaim` is for owner rules, not `allow: groups`".into(),
            "use `groupClaim` to name the claim a groups rule reads".into(),
        ));
    }
    if rule.group_claim.is_some() && rule.allow == "owner" {
        return Some((
            "`groupClaim` is for groups rules, not `allow: owner`".into(),
            "use `identityClaim` to name the claim an owner rule reads".into(),
        ));
    }
    if !rule.groups.is_empty() && rule.groups_field.is_some() {
        return Some((
            "a rule names both `groups` and `groupsField`".into(),
            "use one: `groups` for groups named in the schema, `groupsField` for groups named in each item (two rules for both)".into(),
        ));
    }
    let ops = rule.operations.as_deref().unwrap_or_default();
    if on_field && (root || !on_model) && rule.operations.is_some() {
        return Some((
            "`operations` on a rule of this field: there is only reading it".into(),
            "remove `operations`; it applies to fields of models".into(),
        ));
    }
    let parts: Vec<&String> = ops
        .iter()
        .filter(|o| matches!(o.as_str(), "get" | "list" | "sync" | "listen" | "search"))
        .collect();
    if on_field && !parts.is_empty() {
        let names: Vec<&str> = parts.iter().map(|o| o.as_str()).collect();
        return Some((
            format!(
                "`{}` cannot be chosen for a field: a field is read or not",
                names.join("`, `")
            ),
            "use `read` in the field's rule".into(),
        ));
    }
    if !parts.is_empty() && ops.iter().any(|o| o == "read") {
        let names: Vec<&str> = parts.iter().map(|o| o.as_str()).collect();
        return Some((
            format!("`read` already includes `{}`", names.join("`, `")),
            "keep `read`, or list only the read operations you mean".into(),
        ));
    }
    None
}

/// An owner or groups field that cannot hold what the rule compares with
/// it: a user's identity or a group's name is text, so the field must be
/// `String` (an owner field may also be `ID`), or a list of it. Amplify's
/// transformer takes any type and the rule then never matches (an `Int`
/// owner field) or matches by accident; hoist refuses it at the field.
fn holder_type_problem(
    rule: &Rule,
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
) -> Option<SchemaProblem> {
    let (name, argument, allowed): (&str, &str, &[&str]) = match rule.allow.as_str() {
        "owner" => (
            rule.owner_field.as_deref().unwrap_or("owner"),
            "ownerField",
            &["String", "ID"],
        ),
        "groups" => (rule.groups_field.as_deref()?, "groupsField", &["String"]),
        _ => return None,
    };
    let field = fields.iter().find(|f| f.name == name)?;
    let named = field.ty.inner_named_type().as_str();
    if allowed.contains(&named) {
        return None;
    }
    let what = if argument == "ownerField" {
        "the users who own the item"
    } else {
        "the groups that may reach the item"
    };
    Some(SchemaProblem {
        message: format!(
            "`{argument}: \"{name}\"` names `{name}: {}`, which cannot hold {what}",
            field.ty
        ),
        span: span(field.location()),
        label: format!("{argument} of a rule"),
        help: Some(format!(
            "make `{name}` a `{0}` (one value) or `[{0}]` (several), or name another field in `{argument}`",
            allowed[0]
        )),
        src: None,
    })
}

/// A role in words, for errors.
fn describe_role(role: &Role) -> String {
    match role {
        Role::Public(p) => format!("`public` ({})", p.rule_name()),
        Role::Private(p) => format!("`private` ({})", p.rule_name()),
        Role::Custom => "`custom`".into(),
        Role::IamPrincipals => "IAM principals (the project's functions)".into(),
        Role::StaticGroup { group, .. } => format!("the group `{group}`"),
        Role::DynamicGroup { field, .. } => format!("the groups in `{field}`"),
        Role::Owner { field, .. } => format!("the owners in `{field}`"),
    }
}

mod relations;
pub(in crate::transform) use relations::required_field_problems;
pub use relations::{redacted_in_mutations, relation_redacted, uncovered};

#[cfg(test)]
mod tests;
