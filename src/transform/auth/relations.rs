//! Relations and auth: required relations whose related item a reader may
//! not see (refused at synthesis), and the fields redacted from mutations'
//! and subscriptions' answers because of the related model's rules.

use super::*;

/// Required fields that some reader of their model may not read, and
/// required relation fields to items some listener may not read, in models
/// with subscriptions. Such a field is left out (null) of every mutation's
/// result, which is what subscribers receive, so each of those events would
/// fail on it; and a reader the field refuses fails every read of the item.
/// Amplify's transformer refuses the same schemas ("you need to add rules to
/// all of the model's required fields with at least read permissions").
/// A model role is covered by the field's roles when the field has it, or
/// has `private` for the same user pool or OIDC provider (as Amplify counts
/// them). `located(model, field)` finds a field's place.
pub(in crate::transform) fn required_field_problems(
    models: &[crate::transform::Model],
    join_models: &[String],
    located: impl Fn(&str, &str) -> Option<apollo_compiler::parser::SourceSpan>,
) -> Vec<SchemaProblem> {
    let mut out = Vec::new();
    for model in models.iter().filter(|m| m.subscriptions) {
        let readers = model.auth.roles_of_any(Ops::READ);
        for (name, grants) in &model.auth.fields {
            let Some(field) = model.fields.iter().find(|f| &f.name == name) else {
                continue;
            };
            if !field.ty.is_non_null() {
                continue;
            }
            let missing = unreadable(&readers, grants);
            if missing.is_empty() {
                continue;
            }
            out.push(SchemaProblem {
                message: format!(
                    "`{}.{name}` is required, but its own rules do not let {} read it",
                    model.name,
                    missing.join(" and ")
                ),
                span: span(located(&model.name, name)),
                label: "required, with field rules".into(),
                help: Some(format!(
                    "a field with its own rules is left out of mutation results (what subscribers get) and refused to readers its rules leave out: add `read` for them to the field's rules, make it optional (`{}`), or turn off the model's subscriptions (`@model(subscriptions: null)`)",
                    field.ty.clone().nullable()
                )),
                src: None,
            });
        }
        // a required relation field cannot be left out of mutation results:
        // refused where a listener could receive a related item it may not
        // read (not in the join models of `@manyToMany`, written by hoist:
        // docs/security.md)
        if join_models.contains(&model.name) {
            continue;
        }
        for relation in &model.relations {
            let required = model
                .fields
                .iter()
                .any(|f| f.name == relation.field && f.ty.is_non_null());
            let Some(target) = models.iter().find(|m| m.name == relation.target) else {
                continue;
            };
            if !required || !target.auth.has_rules() {
                continue;
            }
            let everywhere: Vec<Grant> = target
                .auth
                .grants
                .iter()
                .filter(|g| g.role.is_static())
                .cloned()
                .collect();
            // the project's functions (IAM principals) read everything
            let listeners: Vec<&Role> = model
                .auth
                .roles(Ops::LISTEN)
                .into_iter()
                .filter(|r| **r != Role::IamPrincipals)
                .collect();
            // one owner rule alone listens and writes: the event's only
            // receiver wrote it, and read the related item then
            let writers: Vec<&Role> = model
                .auth
                .roles_of_any(Ops::CREATE.union(Ops::UPDATE).union(Ops::DELETE))
                .into_iter()
                .filter(|r| **r != Role::IamPrincipals)
                .collect();
            let sole_owner = matches!(listeners.as_slice(), [Role::Owner { list: false, .. }])
                && writers.iter().all(|w| *w == listeners[0]);
            if sole_owner {
                continue;
            }
            let missing = unreadable(&listeners, &everywhere);
            if missing.is_empty() {
                continue;
            }
            out.push(SchemaProblem {
                message: format!(
                    "`{}.{}` is a required `{}`, which {} may listen to `{}` for but not read every one of",
                    model.name,
                    relation.field,
                    relation.target,
                    missing.join(" and "),
                    model.name
                ),
                span: span(located(&model.name, &relation.field)),
                label: "required relation".into(),
                help: Some(format!(
                    "a mutation's result is what every subscriber receives, and a required field cannot be left out of it: make it optional (an optional one is left out for them), let them read every `{}` (a `private` or static rule with `read`), or turn off `{}`'s subscriptions (`@model(subscriptions: null)`)",
                    relation.target, model.name
                )),
                src: None,
            });
        }
    }
    out
}

/// The roles of `roles` that `grants` do not let read, described.
fn unreadable(roles: &[&Role], grants: &[Grant]) -> Vec<String> {
    uncovered(roles, grants, Ops::READ)
        .iter()
        .map(|r| describe_role(r))
        .collect()
}

/// The roles of `readers` that `grants` do not let do `op` (any of its
/// operations): a role is let in when a grant names it, or names `private`
/// for the same user pool or OIDC provider, which takes in every user of it
/// (as Amplify's transformer counts roles).
pub fn uncovered<'a>(readers: &[&'a Role], grants: &[Grant], op: Ops) -> Vec<&'a Role> {
    let allowed: Vec<&Role> = grants
        .iter()
        .filter(|g| g.ops.intersects(op))
        .map(|g| &g.role)
        .collect();
    readers
        .iter()
        .filter(|role| {
            !(allowed.contains(role)
                || (matches!(role.provider(), Provider::UserPools | Provider::Oidc)
                    && allowed.contains(&&Role::Private(role.provider()))))
        })
        .copied()
        .collect()
}

/// Whether a field with rules of its own is left out (null) of mutation
/// results, which are what subscribers receive: when some role that may read
/// the model may not read the field (Amplify's field resolver does the same:
/// `__operation` is `Mutation`). The model's own subscriptions do not matter:
/// its items reach other models' events through their relations.
pub fn redacted_in_mutations(model: &crate::transform::Model, field: &str) -> bool {
    let Some(grants) = model.auth.field(field) else {
        return false;
    };
    !uncovered(&model.auth.roles_of_any(Ops::READ), grants, Ops::READ).is_empty()
}

/// Whether a relation field's related items are left out of mutation results
/// (null, or no items), as Amplify redacts them: when a role that may read the
/// model (a listener, or a reader of another model's event it is part of)
/// could not read every related item itself (the related model has owner, groups-field or
/// custom rules, or no rule for that role). A related model without rules is
/// readable by the api's default mode and is not redacted.
pub fn relation_redacted(
    model: &crate::transform::Model,
    target: &crate::transform::Model,
) -> bool {
    if !target.auth.has_rules() {
        return false;
    }
    if target
        .auth
        .roles_of_any(Ops::READ)
        .iter()
        .any(|r| !r.is_static() || matches!(r, Role::Custom))
    {
        return true;
    }
    // the model's readers: its listeners, and who reads it through another
    // model's event (a model without subscriptions of its own)
    !uncovered(
        &model.auth.roles_of_any(Ops::READ),
        &target.auth.grants,
        Ops::READ,
    )
    .is_empty()
}
