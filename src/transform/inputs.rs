//! The shared inputs every schema with models gets (filter, condition and key
//! condition inputs per scalar), in Amplify's order.

use apollo_compiler::Node;
use apollo_compiler::ast::{Definition, InputValueDefinition};

use super::sdl::{enumeration, input, input_object, named};

/// The key condition input of a scalar, for sort keys.
pub(super) fn key_condition(scalar: &str) -> Option<&'static str> {
    match scalar {
        "ID" => Some("ModelIDKeyConditionInput"),
        "Int" | "AWSTimestamp" => Some("ModelIntKeyConditionInput"),
        "Float" => Some("ModelFloatKeyConditionInput"),
        "Boolean" => None,
        _ => Some("ModelStringKeyConditionInput"),
    }
}

/// A key condition input's fields: `beginsWith` only for strings and ids.
pub(super) fn key_condition_definition(type_name: &str) -> Definition {
    let scalar = match type_name {
        "ModelIDKeyConditionInput" => "ID",
        "ModelIntKeyConditionInput" => "Int",
        "ModelFloatKeyConditionInput" => "Float",
        _ => "String",
    };
    let mut fields = operator_fields(scalar, &["eq", "le", "lt", "ge", "gt"], &["between"]);
    if matches!(scalar, "String" | "ID") {
        fields.push(input("beginsWith", named(scalar)));
    }
    input_object(type_name, fields)
}

/// `<base>ConditionInput` and `<base>Input`: a condition on a composite sort
/// key, given as the values of its fields.
pub(super) fn composite_inputs(
    base: &str,
    fields: Vec<Node<InputValueDefinition>>,
) -> [Definition; 2] {
    let key = format!("{base}Input");
    let mut condition: Vec<_> = ["eq", "le", "lt", "ge", "gt"]
        .iter()
        .map(|op| input(op, named(&key)))
        .collect();
    condition.push(input("between", named(&key).list()));
    condition.push(input("beginsWith", named(&key)));
    [
        input_object(&format!("{base}ConditionInput"), condition),
        input_object(&key, fields),
    ]
}

/// The comparison operators of a filter input of `scalar`, in Amplify's order.
pub(super) fn operator_fields(
    scalar: &str,
    ops: &[&str],
    list_ops: &[&str],
) -> Vec<Node<InputValueDefinition>> {
    let mut fields: Vec<_> = ops.iter().map(|op| input(op, named(scalar))).collect();
    fields.extend(list_ops.iter().map(|op| input(op, named(scalar).list())));
    fields
}

/// A group of operators a shared input has, in the order Amplify writes them.
#[derive(Clone, Copy)]
enum Ops {
    /// `ne`, `eq`, `le`, `lt`, `ge`, `gt` of the input's scalar.
    Ordered,
    /// `ne`, `eq` (booleans have no order).
    Equality,
    /// `contains`, `notContains`, `between` (a list), `beginsWith`.
    Text,
    /// `between`, a list of two.
    Between,
    /// `in`, `notIn`: lists (subscription filters only).
    Membership,
    /// `attributeExists: Boolean`, `attributeType: ModelAttributeTypes`.
    Attribute,
    /// `size: ModelSizeInput`.
    Size,
}

/// One shared definition: an input object of a scalar's operators, or an enum.
enum Shared {
    Input(&'static str, &'static str, &'static [Ops]),
    Enum(&'static str, &'static [&'static str]),
}

/// The shared definitions every schema with models gets, in Amplify's order
/// (as `@aws-amplify/graphql-model-transformer` 2.x writes them).
const SHARED: [Shared; 13] = {
    use Ops::*;
    use Shared::*;
    [
        Input(
            "ModelStringInput",
            "String",
            &[Ordered, Text, Attribute, Size],
        ),
        Input("ModelIntInput", "Int", &[Ordered, Between, Attribute]),
        Input("ModelFloatInput", "Float", &[Ordered, Between, Attribute]),
        Input("ModelBooleanInput", "Boolean", &[Equality, Attribute]),
        Input("ModelIDInput", "ID", &[Ordered, Text, Attribute, Size]),
        Input(
            "ModelSubscriptionStringInput",
            "String",
            &[Ordered, Text, Membership],
        ),
        Input(
            "ModelSubscriptionIntInput",
            "Int",
            &[Ordered, Between, Membership],
        ),
        Input(
            "ModelSubscriptionFloatInput",
            "Float",
            &[Ordered, Between, Membership],
        ),
        Input("ModelSubscriptionBooleanInput", "Boolean", &[Equality]),
        Input(
            "ModelSubscriptionIDInput",
            "ID",
            &[Ordered, Text, Membership],
        ),
        Enum(
            "ModelAttributeTypes",
            &[
                "binary",
                "binarySet",
                "bool",
                "list",
                "map",
                "number",
                "numberSet",
                "string",
                "stringSet",
                "_null",
            ],
        ),
        Input("ModelSizeInput", "Int", &[Ordered, Between]),
        Enum("ModelSortDirection", &["ASC", "DESC"]),
    ]
};

/// The fields a group of operators gives an input of `scalar`.
fn op_fields(ops: Ops, scalar: &str) -> Vec<Node<InputValueDefinition>> {
    match ops {
        Ops::Ordered => operator_fields(scalar, &["ne", "eq", "le", "lt", "ge", "gt"], &[]),
        Ops::Equality => operator_fields(scalar, &["ne", "eq"], &[]),
        Ops::Text => vec![
            input("contains", named(scalar)),
            input("notContains", named(scalar)),
            input("between", named(scalar).list()),
            input("beginsWith", named(scalar)),
        ],
        Ops::Between => operator_fields(scalar, &[], &["between"]),
        Ops::Membership => operator_fields(scalar, &[], &["in", "notIn"]),
        Ops::Attribute => vec![
            input("attributeExists", named("Boolean")),
            input("attributeType", named("ModelAttributeTypes")),
        ],
        Ops::Size => vec![input("size", named("ModelSizeInput"))],
    }
}

/// The scalar filter inputs every API has, generated from [`SHARED`].
pub(super) fn shared_inputs() -> Vec<Definition> {
    SHARED
        .iter()
        .map(|shared| match shared {
            Shared::Input(name, scalar, groups) => input_object(
                name,
                groups.iter().flat_map(|g| op_fields(*g, scalar)).collect(),
            ),
            Shared::Enum(name, values) => enumeration(name, values),
        })
        .collect()
}

/// The filter input of a scalar type, and its subscription counterpart.
pub(super) fn filter_types(scalar: &str) -> (&'static str, &'static str) {
    match scalar {
        "ID" => ("ModelIDInput", "ModelSubscriptionIDInput"),
        "Int" | "AWSTimestamp" => ("ModelIntInput", "ModelSubscriptionIntInput"),
        "Float" => ("ModelFloatInput", "ModelSubscriptionFloatInput"),
        "Boolean" => ("ModelBooleanInput", "ModelSubscriptionBooleanInput"),
        _ => ("ModelStringInput", "ModelSubscriptionStringInput"),
    }
}
