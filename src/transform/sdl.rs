//! Building and reading SDL nodes with apollo-compiler: names, types, inputs,
//! objects, directive arguments.

use apollo_compiler::ast::{
    Definition, Directive, DirectiveList, EnumTypeDefinition, EnumValueDefinition, FieldDefinition,
    InputObjectTypeDefinition, InputValueDefinition, ObjectTypeDefinition, Type, Value,
};
use apollo_compiler::{Name, Node};
use miette::SourceSpan;

use super::span;

pub(super) fn string_list(directive: &Directive, arg: &str) -> Vec<String> {
    directive
        .arguments
        .iter()
        .find(|a| a.name == arg)
        .map(|a| match a.value.as_ref() {
            Value::List(items) => items
                .iter()
                .filter_map(|v| match v.as_ref() {
                    Value::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            Value::String(s) => vec![s.to_string()],
            _ => Vec::new(),
        })
        .unwrap_or_default()
}

pub(super) fn string_value(directive: &Directive, arg: &str) -> Option<String> {
    directive
        .arguments
        .iter()
        .find(|a| a.name == arg)
        .and_then(|a| match a.value.as_ref() {
            Value::String(s) => Some(s.to_string()),
            _ => None,
        })
}

pub(super) fn name(text: &str) -> Name {
    Name::new(text).unwrap_or_else(|_| Name::new("invalid").expect("a valid name"))
}

pub(super) fn named(text: &str) -> Type {
    Type::Named(name(text))
}

/// The value of `@model(arg: ...)`: None when absent, Some(None) when `null`.
pub(super) fn object_arg<'a>(
    directive: &'a Directive,
    arg: &str,
) -> Option<Option<&'a ObjectValue>> {
    directive
        .arguments
        .iter()
        .find(|a| a.name == arg)
        .map(|a| match a.value.as_ref() {
            Value::Object(fields) => Some(fields.as_slice()),
            _ => None,
        })
}

pub(super) fn field_string(fields: &ObjectValue, key: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| match v.as_ref() {
            Value::String(s) => Some(s.to_string()),
            _ => None,
        })
}

pub(super) fn input(field: &str, ty: Type) -> Node<InputValueDefinition> {
    Node::new(InputValueDefinition {
        description: None,
        name: name(field),
        ty: Node::new(ty),
        default_value: None,
        directives: DirectiveList::default(),
    })
}

pub(super) fn input_object(type_name: &str, fields: Vec<Node<InputValueDefinition>>) -> Definition {
    Definition::InputObjectTypeDefinition(Node::new(InputObjectTypeDefinition {
        description: None,
        name: name(type_name),
        directives: DirectiveList::default(),
        fields,
    }))
}

pub(super) fn field(
    field_name: &str,
    arguments: Vec<Node<InputValueDefinition>>,
    ty: Type,
    directives: Vec<Node<Directive>>,
) -> Node<FieldDefinition> {
    Node::new(FieldDefinition {
        description: None,
        name: name(field_name),
        arguments,
        ty,
        directives: DirectiveList(directives),
    })
}

pub(super) fn object(type_name: &str, fields: Vec<Node<FieldDefinition>>) -> Definition {
    object_with(type_name, fields, &[])
}

pub(super) fn object_with(
    type_name: &str,
    fields: Vec<Node<FieldDefinition>>,
    directives: &[&str],
) -> Definition {
    Definition::ObjectTypeDefinition(Node::new(ObjectTypeDefinition {
        description: None,
        name: name(type_name),
        implements_interfaces: Vec::new(),
        directives: plain_directives(directives),
        fields,
    }))
}

/// Directives without arguments (`@aws_api_key`).
pub(super) fn plain_directives(names: &[&str]) -> DirectiveList {
    DirectiveList(
        names
            .iter()
            .map(|n| {
                Node::new(Directive {
                    name: name(n),
                    arguments: Vec::new(),
                })
            })
            .collect(),
    )
}

pub(super) fn enumeration(type_name: &str, values: &[&str]) -> Definition {
    Definition::EnumTypeDefinition(Node::new(EnumTypeDefinition {
        description: None,
        name: name(type_name),
        directives: DirectiveList::default(),
        values: values
            .iter()
            .map(|v| {
                Node::new(EnumValueDefinition {
                    description: None,
                    value: name(v),
                    directives: DirectiveList::default(),
                })
            })
            .collect(),
    }))
}

pub(super) fn non_null(ty: &Type) -> Type {
    match ty {
        Type::Named(n) => Type::NonNullNamed(n.clone()),
        Type::List(inner) => Type::NonNullList(inner.clone()),
        other => other.clone(),
    }
}

pub(super) fn nullable(ty: &Type) -> Type {
    match ty {
        Type::NonNullNamed(n) => Type::Named(n.clone()),
        Type::NonNullList(inner) => Type::List(inner.clone()),
        other => other.clone(),
    }
}

/// `ty` with its named type renamed to `to`, its list and non-null wrappers kept.
pub(super) fn renamed(ty: &Type, to: &str) -> Type {
    match ty {
        Type::Named(_) => Type::Named(name(to)),
        Type::NonNullNamed(_) => Type::NonNullNamed(name(to)),
        Type::List(inner) => Type::List(Box::new(renamed(inner, to))),
        Type::NonNullList(inner) => Type::NonNullList(Box::new(renamed(inner, to))),
    }
}

/// An argument or input field as clients see it: without Amplify's directives.
pub(super) fn strip_input(value: &Node<InputValueDefinition>) -> Node<InputValueDefinition> {
    let mut value = value.as_ref().clone();
    value.directives = DirectiveList::default();
    Node::new(value)
}

pub(super) fn string_args(
    directive: &apollo_compiler::ast::Directive,
    name: &str,
) -> Vec<(String, Option<SourceSpan>)> {
    let Some(argument) = directive.arguments.iter().find(|a| a.name == name) else {
        return Vec::new();
    };
    match argument.value.as_ref() {
        apollo_compiler::ast::Value::List(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(|s| (s.to_string(), span(v.location()))))
            .collect(),
        apollo_compiler::ast::Value::String(s) => {
            vec![(s.to_string(), span(argument.value.location()))]
        }
        _ => Vec::new(),
    }
}

/// The fields of a GraphQL input object value.
pub(super) type ObjectValue = [(Name, Node<Value>)];
