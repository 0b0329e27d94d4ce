//! JSONPath in states, each parsed once: paths that select ([`Path`]:
//! `InputPath`, `ItemsPath`, `.$` fields, evaluated with serde_json_path, RFC
//! 9535) from the input, the context object (`$$`) or a variable (`$name`), and
//! reference paths that write ([`ReferencePath`]: `ResultPath`). Payload
//! templates built from them are in [`super::tree::Template`].

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// Where a path reads from.
pub struct Scope<'a> {
    pub input: &'a Value,
    pub context: &'a Value,
    pub variables: &'a Map<String, Value>,
}

/// Step Functions reads paths with Jayway's dialect; serde_json_path reads RFC
/// 9535. The differences that real definitions use are rewritten: member names
/// with `-` and other characters (`$.detail-type` as `$['detail-type']`), `$.[0]`
/// as `$[0]`, unquoted words compared in filters (`==Failure` as `=='Failure'`),
/// and surrounding spaces.
pub fn normalize(path: &str) -> String {
    let path = path.trim();
    let chars: Vec<char> = path.chars().collect();
    let mut out = String::with_capacity(path.len() + 8);
    let mut i = 0;
    let mut depth = 0; // inside [...]
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == '\\' && i + 1 < chars.len() {
                // Jayway lets either quote be escaped in either string; RFC
                // 9535 only the string's own: `\"` in '...' is a plain `"`
                let next = chars[i + 1];
                if (q == '\'' && next == '"') || (q == '"' && next == '\'') {
                    out.push(next);
                } else {
                    out.push(c);
                    out.push(next);
                }
                i += 2;
                continue;
            }
            out.push(c);
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '\'' | '"' if depth > 0 => {
                quote = Some(c);
                out.push(c);
                i += 1;
            }
            '[' => {
                depth += 1;
                out.push(c);
                i += 1;
            }
            ']' => {
                depth -= 1;
                out.push(c);
                i += 1;
            }
            '.' if depth == 0 => {
                let descendant = chars.get(i + 1) == Some(&'.');
                let start = if descendant { i + 2 } else { i + 1 };
                if !descendant && chars.get(start) == Some(&'[') {
                    // `$.[0]`
                    i = start;
                    continue;
                }
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                let plain = name == "*" || name.chars().all(|c| c.is_alphanumeric() || c == '_');
                out.push_str(if descendant { ".." } else { "." });
                if plain || name.is_empty() {
                    out.push_str(&name);
                } else {
                    out.pop();
                    if descendant {
                        out.push('.');
                    }
                    out.push_str(&format!("['{}']", name.replace('\'', "\\'")));
                }
                i = end;
            }
            _ => {
                out.push(c);
                i += 1;
                // an unquoted word after a comparison in a filter
                if depth > 0 && matches!(c, '=' | '<' | '>') && chars.get(i) != Some(&'=') {
                    let mut j = i;
                    while j < chars.len() && chars[j] == ' ' {
                        j += 1;
                    }
                    let mut k = j;
                    while k < chars.len() && (chars[k].is_alphanumeric() || chars[k] == '_') {
                        k += 1;
                    }
                    let word: String = chars[j..k].iter().collect();
                    let bare = !word.is_empty()
                        && !matches!(word.as_str(), "true" | "false" | "null")
                        && !word.starts_with(|c: char| c.is_ascii_digit() || c == '-');
                    if bare {
                        out.push_str(&format!("'{word}'"));
                        i = k;
                    }
                }
            }
        }
    }
    out
}

/// Brackets a path may nest (filters in filters), counting those in quoted
/// names: serde_json_path's parser recurses, and a path nested thousands
/// deep would overflow the stack.
pub const MAX_NESTING: usize = 32;

/// What a path names: the input, the context object, or a variable; and the
/// path to query inside it (always starting with `$`).
fn split(path: &str) -> Result<(Root, String), String> {
    // every bracket counts, those in quoted names too: a scanner that
    // skipped strings could disagree with the parser about where one ends
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(format!(
                        "the path nests brackets more than {MAX_NESTING} deep"
                    ));
                }
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let path = &normalize(path);
    if let Some(rest) = path.strip_prefix("$$") {
        return Ok((Root::Context, format!("${rest}")));
    }
    let Some(rest) = path.strip_prefix('$') else {
        return Err(format!("`{path}` is not a path: paths start with `$`"));
    };
    let name_len = rest
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    if name_len > 0 {
        return Ok((
            Root::Variable(rest[..name_len].to_string()),
            format!("${}", &rest[name_len..]),
        ));
    }
    Ok((Root::Input, path.to_string()))
}

#[derive(Debug, Clone, PartialEq)]
enum Root {
    Input,
    Context,
    Variable(String),
}

/// Is `path` a JSONPath a state may use (input, context object or variable)?
pub fn check(path: &str) -> Result<(), String> {
    let (_, query) = split(path)?;
    JsonPath::parse(&query)
        .map(|_| ())
        .map_err(|e| format!("`{path}` is not a valid JSONPath: {e}"))
}

/// Is `path` a reference path (for `ResultPath`): `$`, then `.name`, `['name']`
/// or `[index]` steps only?
pub fn check_reference(path: &str) -> Result<(), String> {
    steps(path).map(|_| ())
}

/// A path selects one value unless it has wildcards, filters, slices, unions or descent.
pub fn is_definite(path: &str) -> bool {
    !(path.contains('*')
        || path.contains("..")
        || path.contains("[?")
        || path.contains(',')
        || (path.contains('[') && path.contains(':')))
}

/// A JSONPath of a state, parsed once: what it reads (the input, the context
/// object `$$` or a variable `$name`) and the RFC 9535 query inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: String,
    root: Root,
    /// `None` for the whole value (`$`, `$$`, `$name`).
    query: Option<JsonPath>,
    /// Selects one value (else a list of every match).
    definite: bool,
}

impl Path {
    /// Errors: the text is not a path, or not a JSONPath serde_json_path reads
    /// (after Jayway's dialect is rewritten, see [`normalize`]).
    pub fn parse(path: &str) -> Result<Path, String> {
        let (root, query) = split(path)?;
        let compiled = if query == "$" {
            None
        } else {
            Some(
                JsonPath::parse(&query)
                    .map_err(|e| format!("`{path}` is not a valid JSONPath: {e}"))?,
            )
        };
        Ok(Path {
            text: path.to_string(),
            root,
            definite: is_definite(&query),
            query: compiled,
        })
    }

    /// The path as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value the path selects; an error when it selects nothing (a definite
    /// path) or names a variable that is not assigned.
    pub fn select(&self, scope: &Scope) -> Result<Value, SelectError> {
        let base = match &self.root {
            Root::Input => scope.input,
            Root::Context => scope.context,
            Root::Variable(name) => scope
                .variables
                .get(name)
                .ok_or_else(|| SelectError::Unassigned(name.clone()))?,
        };
        let Some(query) = &self.query else {
            return Ok(base.clone());
        };
        let nodes = query.query(base).all();
        if self.definite {
            nodes
                .first()
                .map(|v| (*v).clone())
                .ok_or_else(|| SelectError::NoResults {
                    path: self.text.clone(),
                    normalized: split(&self.text)
                        .map(|(_, q)| jayway_normalized(&q))
                        .unwrap_or_default(),
                })
        } else {
            Ok(Value::Array(nodes.into_iter().cloned().collect()))
        }
    }
}

/// Why a path selected nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectError {
    /// A definite path matched nothing: the path as written, and as Jayway
    /// (the library Step Functions reads paths with) prints it (`$['a'][0]`).
    NoResults { path: String, normalized: String },
    /// `$name` names a variable no state has assigned.
    Unassigned(String),
}

impl std::fmt::Display for SelectError {
    /// The service's words for a path that selects nothing (`InputPath`,
    /// `OutputPath`, `ItemsPath`, ...): "Invalid path '$.x' : No results for
    /// path: $['x']".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::NoResults { path, normalized } => {
                write!(
                    f,
                    "Invalid path '{path}' : No results for path: {normalized}"
                )
            }
            SelectError::Unassigned(name) => {
                write!(f, "The variable '${name}' is not assigned")
            }
        }
    }
}

/// `$['a']['b'][0]` for `$.a.b[0]`, as Jayway writes a path in its errors;
/// a path with more than names and indexes is left as it is.
fn jayway_normalized(query: &str) -> String {
    match steps(query) {
        Ok(steps) => {
            let mut out = String::from("$");
            for step in steps {
                match step {
                    Step::Key(k) => out.push_str(&format!("['{k}']")),
                    Step::Index(i) => out.push_str(&format!("[{i}]")),
                }
            }
            out
        }
        Err(_) => query.to_string(),
    }
}

/// A reference path (`ResultPath`), parsed once into its steps.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    text: String,
    steps: Vec<Step>,
}

impl ReferencePath {
    /// Errors: anything but `$` then `.name`, `['name']` or `[index]` steps.
    pub fn parse(path: &str) -> Result<ReferencePath, String> {
        Ok(ReferencePath {
            text: path.to_string(),
            steps: steps(path)?,
        })
    }

    /// `target` with `value` put at this path: missing objects on the way are
    /// made; a step through something that is not an object (or an index out
    /// of range) fails.
    pub fn set(&self, target: &Value, value: Value) -> Result<Value, String> {
        set_steps(target, &self.text, &self.steps, value)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| Err(format!("`{path}` is not a reference path: {why}"));
    let Some(mut rest) = path.strip_prefix('$') else {
        return bad("it must start with `$`");
    };
    if rest.starts_with('$') {
        return bad("it cannot write to the context object");
    }
    let mut out = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let len = r
                .char_indices()
                .take_while(|(_, c)| !matches!(c, '.' | '['))
                .map(|(i, c)| i + c.len_utf8())
                .last()
                .unwrap_or(0);
            if len == 0 {
                return bad("an empty name after `.`");
            }
            let name = &r[..len];
            if name.contains('*') || name.contains('@') {
                return bad("wildcards and filters are not allowed");
            }
            out.push(Step::Key(name.to_string()));
            rest = &r[len..];
        } else if let Some(r) = rest.strip_prefix("['") {
            let Some(end) = r.find("']") else {
                return bad("an unclosed `['`");
            };
            out.push(Step::Key(r[..end].to_string()));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else {
                return bad("an unclosed `[`");
            };
            match r[..end].parse::<usize>() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => return bad("only names and array indexes are allowed"),
            }
            rest = &r[end + 1..];
        } else {
            return bad("expected `.name`, `['name']` or `[index]`");
        }
    }
    Ok(out)
}

/// `target` with `value` put at `path`'s steps: see [`ReferencePath::set`].
fn set_steps(target: &Value, path: &str, steps: &[Step], value: Value) -> Result<Value, String> {
    if steps.is_empty() {
        return Ok(value);
    }
    let mut root = target.clone();
    let mut at = &mut root;
    for (i, step) in steps.iter().enumerate() {
        let last = i == steps.len() - 1;
        match step {
            Step::Key(key) => {
                if at.is_null() && i == 0 {
                    *at = Value::Object(Map::new());
                }
                let Value::Object(map) = at else {
                    return Err(format!(
                        "unable to apply ResultPath `{path}`: `{key}` is set on something that is not an object"
                    ));
                };
                if last {
                    map.insert(key.clone(), value);
                    return Ok(root);
                }
                at = map
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            Step::Index(index) => {
                let Value::Array(items) = at else {
                    return Err(format!(
                        "unable to apply ResultPath `{path}`: `[{index}]` on something that is not an array"
                    ));
                };
                let Some(slot) = items.get_mut(*index) else {
                    return Err(format!(
                        "unable to apply ResultPath `{path}`: index {index} is out of range"
                    ));
                };
                if last {
                    *slot = value;
                    return Ok(root);
                }
                at = slot;
            }
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn select(path: &str, scope: &Scope) -> Result<Value, String> {
        Path::parse(path)?.select(scope).map_err(|e| e.to_string())
    }

    fn set(target: &Value, path: &str, value: Value) -> Result<Value, String> {
        ReferencePath::parse(path)?.set(target, value)
    }

    fn scope<'a>(input: &'a Value, context: &'a Value, vars: &'a Map<String, Value>) -> Scope<'a> {
        Scope {
            input,
            context,
            variables: vars,
        }
    }

    #[test]
    fn select_reads_input_context_and_variables() {
        let input = json!({"a": {"b": [1, 2, 3]}, "items": [{"x": 1}, {"x": 2}]});
        let context = json!({"Execution": {"Name": "run-1"}});
        let mut vars = Map::new();
        vars.insert("total".into(), json!({"n": 7}));
        let s = scope(&input, &context, &vars);
        assert_eq!(select("$.a.b[1]", &s).unwrap(), json!(2));
        assert_eq!(select("$", &s).unwrap(), input);
        assert_eq!(select("$.items[*].x", &s).unwrap(), json!([1, 2]));
        assert_eq!(select("$$.Execution.Name", &s).unwrap(), json!("run-1"));
        assert_eq!(select("$total.n", &s).unwrap(), json!(7));
        assert!(select("$.missing", &s).is_err());
        assert!(select("$unknown", &s).is_err());
        assert!(check("$.a[?@.x > 1]").is_ok());
        assert!(check("$.a[").is_err());
        assert!(check("a.b").is_err());
        // Jayway's dialect, as Step Functions reads it
        let input = json!({"detail-type": "x", "r": [{"s": "Failure"}, {"s": "ok"}]});
        let s = scope(&input, &context, &vars);
        assert_eq!(select("$.detail-type", &s).unwrap(), json!("x"));
        assert_eq!(select("$.r.[0].s", &s).unwrap(), json!("Failure"));
        assert_eq!(
            select("$..r[?(@.s==Failure)]", &s).unwrap(),
            json!([{"s": "Failure"}])
        );
        assert_eq!(select(" $.r[1].s ", &s).unwrap(), json!("ok"));
    }

    #[test]
    fn reference_paths_write_and_refuse() {
        let input = json!({"a": 1, "list": [0, 1]});
        assert_eq!(set(&input, "$", json!(5)).unwrap(), json!(5));
        assert_eq!(
            set(&input, "$.result.value", json!(5)).unwrap(),
            json!({"a": 1, "list": [0, 1], "result": {"value": 5}})
        );
        assert_eq!(
            set(&input, "$['my key']", json!(true)).unwrap()["my key"],
            json!(true)
        );
        assert_eq!(
            set(&input, "$.list[1]", json!(9)).unwrap()["list"],
            json!([0, 9])
        );
        assert!(set(&input, "$.a.b", json!(1)).is_err());
        assert!(set(&input, "$.list[5]", json!(1)).is_err());
        assert!(check_reference("$.a[*]").is_err());
        assert!(check_reference("$$.Execution").is_err());
        assert!(check_reference("$..a").is_err());
    }
}
