//! JSONata in states (`QueryLanguage: "JSONata"`): `{% expression %}` strings,
//! evaluated by jsonata-rs with `$states` and the machine's variables bound.
//!
//! jsonata-rs implements most of JSONata 1.x; an expression it cannot parse is
//! reported by `validate` at its place. Step Functions adds six functions
//! ("Transforming data with JSONata in Step Functions", the developer guide):
//! `$partition(array, size)`, `$range(start, end, step)` (both ends included),
//! `$hash(data, algorithm)`, `$random([seed])`, `$uuid()` and `$parse(json)`;
//! all six run here.
//!
//! Bounds, so that a hostile definition ends in bounded time with an error
//! rather than aborting the process: an expression nests at most
//! [`MAX_NESTING`] brackets (checked before jsonata-rs's recursive parser sees
//! it), evaluation recurses at most [`MAX_DEPTH`] calls deep and runs at most
//! [`TIME_LIMIT_MS`] milliseconds (jsonata-rs's `U1001`).

use jsonata_rs::{ArrayFlags, FunctionContext, Value as Jv};
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};

/// Brackets (`(`, `[`, `{`) an expression may nest.
pub const MAX_NESTING: usize = 64;
/// Nested evaluations (function calls included) an expression may make.
pub const MAX_DEPTH: usize = 300;
/// Milliseconds one expression may run.
pub const TIME_LIMIT_MS: usize = 2_000;
/// The stack each evaluation runs on (reserved, used as needed): jsonata-rs
/// recurses on the native stack, and [`MAX_DEPTH`] nested calls need more
/// than a 2 MiB thread (a test's, a tokio worker's) has.
const STACK: usize = 256 * 1024 * 1024;
/// Items `$range` may make, as `States.ArrayRange`.
const MAX_RANGE: usize = 1000;

/// The name `$random` is evaluated under: jsonata-rs binds its own `$random`
/// (no seed) over any function registered with that name.
const RANDOM: &str = "__stepFunctionsRandom";

/// The expression as a message quotes it: at most 80 characters.
fn short(expr: &str) -> String {
    if expr.chars().count() <= 80 {
        return expr.to_string();
    }
    let head: String = expr.chars().take(77).collect();
    format!("{head}...")
}

/// The expression inside `{% ... %}`, if `text` is one.
pub fn expression(text: &str) -> Option<&str> {
    let t = text.trim();
    t.strip_prefix("{%")
        .and_then(|r| r.strip_suffix("%}"))
        .map(str::trim)
}

/// The expression with `$random(` calls (outside string literals and
/// comments) renamed to the seeded version, after checking its bracket
/// nesting.
///
/// The nesting is counted over every bracket of the text, those in strings,
/// comments and regular expressions included: an over-count refuses only
/// an expression with dozens of unbalanced brackets in its strings, and an
/// under-count would let jsonata-rs's recursive parser overflow the stack.
fn prepare(expr: &str) -> Result<String, String> {
    let mut depth = 0usize;
    for c in expr.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(format!(
                        "the expression nests brackets more than {MAX_NESTING} deep"
                    ));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let mut out = String::with_capacity(expr.len());
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if comment {
            out.push(c);
            if c == '*' && chars.peek().is_some_and(|(_, n)| *n == '/') {
                out.push('/');
                chars.next();
                comment = false;
            }
            continue;
        }
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                '/' if chars.peek().is_some_and(|(_, n)| *n == '*') => {
                    comment = true;
                    out.push(c);
                }
                // `$random(` or `$random (`, not `$randomly(`
                '$' if is_random_call(&expr[i..])
                    && !expr[..i].ends_with(|p: char| p.is_alphanumeric() || p == '_') =>
                {
                    out.push('$');
                    out.push_str(RANDOM);
                    for _ in 0.."random".len() {
                        chars.next();
                    }
                }
                _ => out.push(c),
            },
        }
    }
    Ok(out)
}

/// Does `text` start with a call of `$random`?
fn is_random_call(text: &str) -> bool {
    text.strip_prefix("$random")
        .is_some_and(|rest| rest.trim_start().starts_with('('))
}

/// Does the expression parse (within the nesting bound)?
pub fn check(expr: &str) -> Result<(), String> {
    let prepared = prepare(expr).map_err(|e| format!("`{}`: {e}", short(expr)))?;
    let arena = bumpalo::Bump::new();
    stacker::grow(STACK, || {
        jsonata_rs::JsonAta::new(&prepared, &arena).map(|_| ())
    })
    .map_err(|e| format!("`{}` is not a valid JSONata expression: {e}", short(expr)))
}

/// A JSON value in jsonata-rs's arena.
fn to_jsonata<'a>(arena: &'a bumpalo::Bump, value: &Value) -> &'a Jv<'a> {
    match value {
        Value::Null => Jv::null(arena),
        Value::Bool(b) => Jv::bool(*b),
        Value::Number(n) => Jv::number(arena, n.as_f64().unwrap_or(0.0)),
        Value::String(s) => Jv::string(arena, s),
        Value::Array(items) => {
            let array = Jv::array_with_capacity(arena, items.len(), ArrayFlags::empty());
            for item in items {
                array.push(to_jsonata(arena, item));
            }
            array
        }
        Value::Object(map) => {
            let object = Jv::object_with_capacity(arena, map.len());
            for (k, v) in map {
                object.insert(k, to_jsonata(arena, v));
            }
            object
        }
    }
}

/// A jsonata-rs value as JSON (None: undefined).
fn from_jsonata<'a>(value: &'a Jv<'a>) -> Result<Option<Value>, String> {
    if value.is_undefined() {
        return Ok(None);
    }
    serde_json::from_str(&value.serialize(false))
        .map(Some)
        .map_err(|e| format!("gave a value that is not JSON: {e}"))
}

type Native =
    for<'a, 'e> fn(FunctionContext<'a, 'e>, &[&'a Jv<'a>]) -> jsonata_rs::Result<&'a Jv<'a>>;

fn error(function: &str, message: impl std::fmt::Display) -> jsonata_rs::Error {
    jsonata_rs::Error::D3137Error(format!("${function}: {message}"))
}

/// The argument at `i`, or undefined.
fn arg<'a>(args: &[&'a Jv<'a>], i: usize) -> Option<&'a Jv<'a>> {
    args.get(i).copied().filter(|v| !v.is_undefined())
}

fn integer(function: &str, what: &str, value: Option<&Jv>) -> jsonata_rs::Result<i64> {
    match value {
        Some(v) if v.is_number() && v.as_f64().fract() == 0.0 && v.as_f64().is_finite() => {
            Ok(v.as_f64() as i64)
        }
        _ => Err(error(function, format!("{what} must be an integer"))),
    }
}

/// `$partition(array, size)`: the array in chunks of `size` (the last may be shorter).
fn partition<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a Jv<'a>],
) -> jsonata_rs::Result<&'a Jv<'a>> {
    let Some(array) = arg(args, 0).filter(|a| a.is_array()) else {
        return Err(error("partition", "the first argument must be an array"));
    };
    let size = integer("partition", "the chunk size", arg(args, 1))?;
    if size <= 0 {
        return Err(error("partition", "the chunk size must be greater than 0"));
    }
    let items: Vec<&Jv> = array.members().collect();
    let out = Jv::array_with_capacity(
        ctx.arena,
        items.len().div_ceil(size as usize),
        ArrayFlags::empty(),
    );
    for chunk in items.chunks(size as usize) {
        let part = Jv::array_with_capacity(ctx.arena, chunk.len(), ArrayFlags::empty());
        for item in chunk {
            part.push(item);
        }
        out.push(part);
    }
    Ok(out)
}

/// `$range(start, end, step)`: integers from `start` to `end`, both included.
fn range<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a Jv<'a>]) -> jsonata_rs::Result<&'a Jv<'a>> {
    let start = integer("range", "the start", arg(args, 0))?;
    let end = integer("range", "the end", arg(args, 1))?;
    let step = integer("range", "the step", arg(args, 2))?;
    if step == 0 {
        return Err(error("range", "the step must not be 0"));
    }
    // i128: the bounds may be anywhere in i64's range
    let (start, end, step) = (start as i128, end as i128, step as i128);
    let count = if (end - start).signum() * step.signum() < 0 {
        0
    } else {
        (end - start) / step + 1
    };
    if count > MAX_RANGE as i128 {
        return Err(error(
            "range",
            format!("it makes at most {MAX_RANGE} items"),
        ));
    }
    let out = Jv::array_with_capacity(ctx.arena, count as usize, ArrayFlags::empty());
    for i in 0..count {
        out.push(Jv::number(ctx.arena, (start + i * step) as f64));
    }
    Ok(out)
}

/// `$hash(data, algorithm)`: the hex digest, as `States.Hash`.
fn hash<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a Jv<'a>]) -> jsonata_rs::Result<&'a Jv<'a>> {
    let (Some(data), Some(algorithm)) = (arg(args, 0), arg(args, 1)) else {
        return Err(error("hash", "it takes the data and an algorithm"));
    };
    let data = if data.is_string() {
        data.as_str().to_string()
    } else {
        data.serialize(false)
    };
    let digest =
        super::intrinsics::hash(&data, &algorithm.as_str()).map_err(|e| error("hash", e))?;
    Ok(Jv::string(ctx.arena, &digest))
}

/// `$random([seed])`: a number in [0, 1); the same seed gives the same number.
fn random<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a Jv<'a>]) -> jsonata_rs::Result<&'a Jv<'a>> {
    let value: f64 = match arg(args, 0) {
        Some(seed) => {
            let seed = integer("random", "the seed", Some(seed))?;
            rand::rngs::StdRng::seed_from_u64(seed as u64).random()
        }
        None => rand::rng().random(),
    };
    Ok(Jv::number(ctx.arena, value))
}

/// `$parse(json)`: the value a JSON string holds.
fn parse<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a Jv<'a>]) -> jsonata_rs::Result<&'a Jv<'a>> {
    let Some(text) = arg(args, 0).filter(|t| t.is_string()) else {
        return Err(error("parse", "the argument must be a string"));
    };
    let value: Value = serde_json::from_str(&text.as_str())
        .map_err(|e| error("parse", format!("the string is not JSON: {e}")))?;
    Ok(to_jsonata(ctx.arena, &value))
}

const FUNCTIONS: [(&str, usize, Native); 5] = [
    ("partition", 2, partition),
    ("range", 3, range),
    ("hash", 2, hash),
    (RANDOM, 1, random),
    ("parse", 1, parse),
];

/// Evaluate an expression with these variables (`states` for `$states`):
/// its value, or None when it is undefined (the caller decides whether that
/// is an error: in Step Functions it is, wherever the value is used).
pub fn evaluate(expr: &str, variables: &Map<String, Value>) -> Result<Option<Value>, String> {
    stacker::grow(STACK, || evaluate_here(expr, variables))
}

fn evaluate_here(expr: &str, variables: &Map<String, Value>) -> Result<Option<Value>, String> {
    let prepared = prepare(expr).map_err(|e| format!("`{}`: {e}", short(expr)))?;
    let arena = bumpalo::Bump::new();
    let compiled = jsonata_rs::JsonAta::new(&prepared, &arena)
        .map_err(|e| format!("`{}` is not a valid JSONata expression: {e}", short(expr)))?;
    for (name, arity, f) in FUNCTIONS {
        compiled.register_function(name, arity, f);
    }
    for (k, v) in variables {
        compiled.assign_var(k, to_jsonata(&arena, v));
    }
    let result = compiled
        .evaluate_timeboxed(None, Some(MAX_DEPTH), Some(TIME_LIMIT_MS))
        .map_err(|e| format!("`{}` failed: {e}", short(expr)))?;
    from_jsonata(result).map_err(|e| format!("`{}` {e}", short(expr)))
}

/// Every `{% %}` expression in a value, with its JSON pointer below `pointer`.
pub fn expressions(value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => {
            if let Some(e) = expression(s) {
                out.push((pointer.to_string(), e.to_string()));
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                expressions(v, &format!("{pointer}/{}", super::pointer_token(k)), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                expressions(v, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: &str) -> Result<Option<Value>, String> {
        let mut vars = Map::new();
        vars.insert(
            "states".into(),
            json!({"input": {"a": 2, "items": [1, 2, 3]}}),
        );
        vars.insert("factor".into(), json!(10));
        evaluate(expr, &vars)
    }

    #[test]
    fn expressions_see_states_and_variables() {
        assert_eq!(eval("$states.input.a * $factor").unwrap(), Some(json!(20)));
        assert_eq!(eval("$sum($states.input.items)").unwrap(), Some(json!(6)));
        assert_eq!(eval("$states.input.nothing").unwrap(), None);
        assert!(check("$states.input.").is_err());
        assert_eq!(expression("{% 1 + 1 %}"), Some("1 + 1"));
        assert_eq!(expression("1 + 1"), None);
    }

    /// The values the developer guide gives for Step Functions' own functions.
    #[test]
    fn step_functions_own_functions() {
        for (expr, want) in [
            ("$partition([1,2,3], 2)", json!([[1, 2], [3]])),
            (
                "$partition([1,2,3,4,5,6,7,8,9], 3)",
                json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
            ),
            ("$range(0, 9, 3)", json!([0, 3, 6, 9])),
            ("$range(0, 10, 2)", json!([0, 2, 4, 6, 8, 10])),
            ("$range(5, 1, -2)", json!([5, 3, 1])),
            ("$parse(\"1\")", json!(1)),
            ("$parse('{\"a\":[true]}')", json!({"a": [true]})),
            (
                "$hash('input data', 'MD5')",
                json!("812f45842bc6d66ee14572ce20db8e86"),
            ),
            ("$length($uuid())", json!(36)),
            ("$random(7) = $random(7)", json!(true)),
            ("$random() < 1", json!(true)),
            ("'$random(' & 'x'", json!("$random(x")),
            ("$random (3) = $random(3)", json!(true)),
            ("/* ' */ $random(3) = $random(3)", json!(true)),
        ] {
            assert_eq!(eval(expr).unwrap(), Some(want), "{expr}");
        }
        for bad in [
            "$partition([1], 0)",
            "$range(0, 5000, 1)",
            "$range(0, 1, 0)",
            "$hash('x', 'SHA-3')",
            "$parse('{x')",
        ] {
            assert!(eval(bad).is_err(), "{bad}");
        }
    }

    /// Hostile expressions end with an error, in bounded time and stack.
    #[test]
    fn hostile_expressions_are_bounded() {
        let deep = format!("{}1{}", "(".repeat(4000), ")".repeat(4000));
        assert!(check(&deep).unwrap_err().contains("nests brackets"));
        assert!(eval(&deep).is_err());
        // a quote in a comment or a regular expression does not hide the brackets
        for prefix in ["/* ' */ ", "$match('a', /'/) & ", "'\\'' & "] {
            let hidden = format!("{prefix}{deep}");
            assert!(
                check(&hidden).unwrap_err().contains("nests brackets"),
                "{prefix}"
            );
        }
        // $range's bounds anywhere in i64's range: an error, no overflow
        for extreme in [
            "$range(-9e18, 9e18, 1)",
            "$range(0, -9.3e18, -1)",
            "$range(9e18, -9e18, -9e18)",
        ] {
            let _ = eval(extreme);
        }
        let one = eval("$range(9e15, 9e15, -1)").unwrap().unwrap();
        assert_eq!(one[0].as_f64(), Some(9e15));
        let started = std::time::Instant::now();
        // a tail call runs until the time limit; a deep one stops at the depth limit
        let e = eval("($f := function($n) { $f($n + 1) }; $f(0))").unwrap_err();
        assert!(e.contains("U1001"), "{e}");
        let e = eval("($f := function($n) { 1 + $f($n + 1) }; $f(0))").unwrap_err();
        assert!(e.contains("U1001"), "{e}");
        // many shallow calls are fine
        let e = eval("($f := function($n) { $n > 0 ? $f($n - 1) : 0 }; $sum([1..2000].($f(3))))");
        assert_eq!(e.unwrap(), Some(json!(0)));
        assert!(started.elapsed().as_secs() < 10);
    }
}
