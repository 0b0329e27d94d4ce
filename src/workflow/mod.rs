//! Amazon States Language: validate, draw and run Step Functions state machines
//! offline, with the service's semantics (`hoist workflow validate | graph | run`).
//!
//! A definition is read as a `serde_json::Value` and as an AST with byte ranges
//! (jsonc-parser, in strict JSON mode) so that every finding points at its JSON
//! pointer *and* its line and column. [`validate`] checks the JSON; [`compile`]
//! then parses an accepted definition once into a typed [`tree`] (states as an
//! enum, data-flow fields per query language, retriers, catchers, Choice rules,
//! every path and template compiled), which [`run`] and [`graph`] read. Errors
//! of an execution are [`StatesError`]s, the service's `States.*` names.

pub mod error;
pub mod graph;
pub mod intrinsics;
pub mod jsonata;
pub mod paths;
pub mod run;
pub mod tree;
pub mod validate;

use std::collections::HashMap;

pub use error::{Fault, MAX_PAYLOAD, StatesError};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_json::Value;
use thiserror::Error;

/// A byte range in the text.
type Range = (usize, usize);

/// JSON pointer to the member's name (for object members) and the value's range.
type Spans = HashMap<String, (Option<Range>, Range)>;

/// A state machine definition, with where each of its values is in the text.
#[derive(Debug, Clone)]
pub struct Definition {
    pub path: String,
    pub text: String,
    pub value: Value,
    /// JSON pointer to where its member name and its value are.
    spans: Spans,
}

/// A definition that is not JSON.
#[derive(Debug, Error, Diagnostic)]
#[error("`{path}` is not valid JSON: {message}")]
#[diagnostic(
    code(hoist::workflow::json),
    help("a state machine definition is one JSON object (no comments or trailing commas)")
)]
pub struct JsonError {
    pub path: String,
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("here")]
    pub at: SourceSpan,
}

/// Escape one reference token of a JSON pointer (RFC 6901).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl Definition {
    pub fn parse(text: &str, path: &str) -> Result<Definition, Box<JsonError>> {
        let strict = jsonc_parser::ParseOptions {
            allow_comments: false,
            allow_loose_object_property_names: false,
            allow_trailing_commas: false,
            allow_missing_commas: false,
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        };
        let fail = |message: String, at: (usize, usize)| {
            Box::new(JsonError {
                path: path.to_string(),
                message,
                src: NamedSource::new(path, text.to_string()),
                at: SourceSpan::from(at.0..at.1.max(at.0)),
            })
        };
        let ast = jsonc_parser::parse_to_ast(text, &Default::default(), &strict).map_err(|e| {
            let range = e.range();
            fail(e.kind().to_string(), (range.start, range.end))
        })?;
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let offset = offset_of(text, e.line(), e.column());
            fail(e.to_string(), (offset, offset))
        })?;
        let mut spans = HashMap::new();
        if let Some(root) = &ast.value {
            collect(root, String::new(), None, &mut spans);
        }
        Ok(Definition {
            path: path.to_string(),
            text: text.to_string(),
            value,
            spans,
        })
    }

    /// Where the value at `pointer` is (its key, for an object member, when `key`).
    pub fn span(&self, pointer: &str, key: bool) -> Option<SourceSpan> {
        let mut p = pointer.to_string();
        // a pointer into something missing: point at the nearest thing that exists
        loop {
            if let Some((k, v)) = self.spans.get(&p) {
                let (start, end) = if key { k.unwrap_or(*v) } else { *v };
                return Some(SourceSpan::from(start..end));
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return None,
            }
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map(|i| before[i + 1..].chars().count())
            .unwrap_or_else(|| before.chars().count())
            + 1;
        (line, column)
    }
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1).min(l.len());
        }
        offset += l.len();
    }
    text.len()
}

fn collect(
    value: &jsonc_parser::ast::Value,
    pointer: String,
    key: Option<(usize, usize)>,
    spans: &mut Spans,
) {
    use jsonc_parser::ast::{ObjectPropName, Value as V};
    use jsonc_parser::common::Ranged;
    let range = value.range();
    spans.insert(pointer.clone(), (key, (range.start, range.end)));
    match value {
        V::Object(object) => {
            for prop in &object.properties {
                let (name, name_range) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.to_string(), s.range),
                    ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                };
                collect(
                    &prop.value,
                    format!("{pointer}/{}", pointer_token(&name)),
                    Some((name_range.start, name_range.end)),
                    spans,
                );
            }
        }
        V::Array(array) => {
            for (i, element) in array.elements.iter().enumerate() {
                collect(element, format!("{pointer}/{i}"), None, spans);
            }
        }
        _ => {}
    }
}

/// Validate a definition and build its tree: the tree and the warnings, or
/// [`WorkflowError::Invalid`] with every error `validate` found. A definition
/// `validate` accepts always has a tree; if it had not, that is reported as an
/// error at the value the tree could not read (a bug in hoist).
pub fn compile(
    definition: &Definition,
) -> Result<(tree::Machine, Vec<validate::Finding>), WorkflowError> {
    let findings = validate::validate(definition);
    let invalid = |findings: &[validate::Finding]| {
        WorkflowError::Invalid(Box::new(validate::Findings::new(definition, findings)))
    };
    if findings
        .iter()
        .any(|f| f.severity == validate::Severity::Error)
    {
        return Err(invalid(&findings));
    }
    let machine = tree::Machine::from_definition(definition).map_err(|e| {
        invalid(&[validate::Finding {
            severity: validate::Severity::Error,
            pointer: e.pointer,
            message: e.message,
            help: "`validate` accepted this but hoist could not read it: this is a bug in hoist, please report it".into(),
            key: false,
        }])
    })?;
    Ok((machine, findings))
}

/// What `hoist workflow` reports as an error: a definition that does not parse
/// or validate, bad input, an execution that failed, a diagram that cannot be drawn.
#[derive(Debug, Error, Diagnostic)]
pub enum WorkflowError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Json(#[from] Box<JsonError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<validate::Findings>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Run(#[from] run::RunError),

    #[error("{what} is not valid JSON: {message}")]
    #[diagnostic(
        code(hoist::workflow::input),
        help("give JSON text, or @FILE to read it from a file")
    )]
    BadJson { what: String, message: String },

    #[error("the diagram could not be drawn: {0}")]
    #[diagnostic(code(hoist::workflow::graph))]
    Graph(String),

    #[error("a PNG is binary: give a file to write it to")]
    #[diagnostic(
        code(hoist::workflow::png),
        help("add `-o diagram.png`, or use `--format svg` to print SVG text")
    )]
    PngNeedsFile,

    #[error("the execution {status}{at}: {error}")]
    #[diagnostic(
        code(hoist::workflow::failed),
        help(
            "{cause}\nrun with `--history FILE` and draw it with `hoist workflow graph --execution FILE` to see where"
        )
    )]
    Execution {
        status: String,
        /// ` in the state `NAME` (FILE:LINE:COLUMN)`, or empty.
        at: String,
        error: String,
        cause: String,
    },
}
