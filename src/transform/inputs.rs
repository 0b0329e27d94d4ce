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

/// The scalar filter inputs every API has.
pub(super) fn shared_inputs() -> Vec<Definition> {
    let attribute = |fields: &mut Vec<Node<InputValueDefinition>>| {
        fields.push(input("attributeExists", named("Boolean")));
        fields.push(input("attributeType", named("ModelAttributeTypes")));
    };
    let ordered = ["ne", "eq", "le", "lt", "ge", "gt"];
    let mut out = Vec::new();

    let mut string = operator_fields("String", &ordered, &[]);
    string.extend([
        input("contains", named("String")),
        input("notContains", named("String")),
        input("between", named("String").list()),
        input("beginsWith", named("String")),
    ]);
    attribute(&mut string);
    string.push(input("size", named("ModelSizeInput")));
    out.push(input_object("ModelStringInput", string));

    let mut int = operator_fields("Int", &ordered, &["between"]);
    attribute(&mut int);
    out.push(input_object("ModelIntInput", int));

    let mut float = operator_fields("Float", &ordered, &["between"]);
    attribute(&mut float);
    out.push(input_object("ModelFloatInput", float));

    let mut boolean = operator_fields("Boolean", &["ne", "eq"], &[]);
    attribute(&mut boolean);
    out.push(input_object("ModelBooleanInput", boolean));

    let mut id = operator_fields("ID", &ordered, &[]);
    id.extend([
        input("contains", named("ID")),
        input("notContains", named("ID")),
        input("between", named("ID").list()),
        input("beginsWith", named("ID")),
    ]);
    attribute(&mut id);
    id.push(input("size", named("ModelSizeInput")));
    out.push(input_object("ModelIDInput", id));

    let mut sub_string = operator_fields("String", &ordered, &[]);
    sub_string.extend([
        input("contains", named("String")),
        input("notContains", named("String")),
        input("between", named("String").list()),
        input("beginsWith", named("String")),
        input("in", named("String").list()),
        input("notIn", named("String").list()),
    ]);
    out.push(input_object("ModelSubscriptionStringInput", sub_string));
    out.push(input_object(
        "ModelSubscriptionIntInput",
        operator_fields("Int", &ordered, &["between", "in", "notIn"]),
    ));
    out.push(input_object(
        "ModelSubscriptionFloatInput",
        operator_fields("Float", &ordered, &["between", "in", "notIn"]),
    ));
    out.push(input_object(
        "ModelSubscriptionBooleanInput",
        operator_fields("Boolean", &["ne", "eq"], &[]),
    ));
    let mut sub_id = operator_fields("ID", &ordered, &[]);
    sub_id.extend([
        input("contains", named("ID")),
        input("notContains", named("ID")),
        input("between", named("ID").list()),
        input("beginsWith", named("ID")),
        input("in", named("ID").list()),
        input("notIn", named("ID").list()),
    ]);
    out.push(input_object("ModelSubscriptionIDInput", sub_id));

    out.push(enumeration(
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
    ));
    out.push(input_object(
        "ModelSizeInput",
        operator_fields("Int", &ordered, &["between"]),
    ));
    out.push(enumeration("ModelSortDirection", &["ASC", "DESC"]));
    out
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
