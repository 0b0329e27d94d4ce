//! Intrinsic functions of JSONPath states (`States.Format('{}', $.x)` and the
//! rest): parsed, checked for arity before a run, and evaluated.

use base64::Engine;
use serde_json::{Map, Value, json};

use super::paths::{self, Scope};
use super::{Fault, MAX_PAYLOAD, StatesError};

/// An argument of an intrinsic function, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Literal(Value),
    /// A path, parsed once.
    Path(paths::Path),
    Call(Call),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Arg>,
}

/// The functions and how many arguments each takes (min, max).
pub const FUNCTIONS: [(&str, usize, usize); 18] = [
    ("States.Format", 1, usize::MAX),
    ("States.StringToJson", 1, 1),
    ("States.JsonToString", 1, 1),
    ("States.Array", 0, usize::MAX),
    ("States.ArrayPartition", 2, 2),
    ("States.ArrayContains", 2, 2),
    ("States.ArrayRange", 3, 3),
    ("States.ArrayGetItem", 2, 2),
    ("States.ArrayLength", 1, 1),
    ("States.ArrayUnique", 1, 1),
    ("States.Base64Encode", 1, 1),
    ("States.Base64Decode", 1, 1),
    ("States.Hash", 2, 2),
    ("States.JsonMerge", 3, 3),
    ("States.MathRandom", 2, 3),
    ("States.MathAdd", 2, 2),
    ("States.StringSplit", 2, 2),
    ("States.UUID", 0, 0),
];

/// Intrinsic functions one field may nest.
pub const MAX_NESTED_CALLS: usize = 10;

/// Stand-ins for `\{` and `\}` in string literals until they are used.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

fn unescape(text: &str) -> String {
    text.replace(OPEN, "{").replace(CLOSE, "}")
}

fn literal(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(unescape(s)),
        other => other.clone(),
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        while self.rest().starts_with([' ', '\t', '\n']) {
            self.at += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!(
            "{what} at character {} of `{}`",
            self.at + 1,
            self.text
        ))
    }

    fn call(&mut self) -> Result<Call, String> {
        let len = self
            .rest()
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '.')
            .map(|(i, c)| i + c.len_utf8())
            .last()
            .unwrap_or(0);
        let name = self.rest()[..len].to_string();
        self.at += len;
        if !self.rest().starts_with('(') {
            return self.fail("expected `(` after the function name");
        }
        self.at += 1;
        let mut args = Vec::new();
        self.skip_spaces();
        if self.rest().starts_with(')') {
            self.at += 1;
        } else {
            loop {
                self.skip_spaces();
                args.push(self.arg()?);
                self.skip_spaces();
                if self.rest().starts_with(',') {
                    self.at += 1;
                } else if self.rest().starts_with(')') {
                    self.at += 1;
                    break;
                } else {
                    return self.fail("expected `,` or `)`");
                }
            }
        }
        Ok(Call { name, args })
    }

    fn arg(&mut self) -> Result<Arg, String> {
        let rest = self.rest();
        if rest.starts_with('\'') {
            self.at += 1;
            let mut out = String::new();
            let mut chars = self.rest().char_indices();
            loop {
                match chars.next() {
                    None => return self.fail("an unclosed string"),
                    Some((i, '\'')) => {
                        self.at += i + 1;
                        return Ok(Arg::Literal(Value::String(out)));
                    }
                    Some((_, '\\')) => match chars.next() {
                        // escaped braces are not `States.Format` holes
                        Some((_, '{')) => out.push(OPEN),
                        Some((_, '}')) => out.push(CLOSE),
                        Some((_, c)) => out.push(c),
                        None => return self.fail("a `\\` at the end"),
                    },
                    Some((_, c)) => out.push(c),
                }
            }
        }
        if rest.starts_with("States.") {
            return Ok(Arg::Call(self.call()?));
        }
        if rest.starts_with('$') {
            // a path runs to the next `,` or `)` outside brackets and quotes
            let mut depth = 0;
            let mut quote = false;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '\'' => quote = !quote,
                    '[' | '(' if !quote => depth += 1,
                    ']' if !quote => depth -= 1,
                    ')' if !quote && depth == 0 => {
                        end = i;
                        break;
                    }
                    ')' if !quote => depth -= 1,
                    ',' if !quote && depth == 0 => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let path = paths::Path::parse(rest[..end].trim())?;
            self.at += end;
            return Ok(Arg::Path(path));
        }
        let end = rest.find([',', ')']).unwrap_or(rest.len());
        let token = rest[..end].trim();
        let value = match token {
            "true" => json!(true),
            "false" => json!(false),
            "null" => Value::Null,
            _ => match token.parse::<serde_json::Number>() {
                Ok(n) => Value::Number(n),
                Err(_) => {
                    return self.fail(&format!(
                        "`{token}` is not a string, number, boolean, null, path or function"
                    ));
                }
            },
        };
        self.at += end;
        Ok(Arg::Literal(value))
    }
}

/// Parse an intrinsic function call and check each function's arity.
pub fn parse(text: &str) -> Result<Call, String> {
    let mut parser = Parser {
        text: text.trim(),
        at: 0,
    };
    if !parser.rest().starts_with("States.") {
        return Err(format!(
            "`{text}` is not an intrinsic function (they start with `States.`)"
        ));
    }
    // the service allows 10 nested calls in a field ("Intrinsic functions",
    // the developer guide); counted before the recursive parser runs
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\'' => quoted = !quoted,
            '(' if !quoted => {
                depth += 1;
                if depth > MAX_NESTED_CALLS {
                    return Err(format!(
                        "intrinsic functions nest at most {MAX_NESTED_CALLS} deep in a field"
                    ));
                }
            }
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let call = parser.call()?;
    parser.skip_spaces();
    if !parser.rest().is_empty() {
        return parser.fail("unexpected text after the function");
    }
    check_arity(&call)?;
    Ok(call)
}

fn check_arity(call: &Call) -> Result<(), String> {
    let Some((_, min, max)) = FUNCTIONS.iter().find(|(n, _, _)| *n == call.name) else {
        return Err(format!(
            "`{}` is not an intrinsic function; they are: {}",
            call.name,
            FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
        ));
    };
    let n = call.args.len();
    if n < *min || n > *max {
        let wanted = if min == max {
            format!("{min}")
        } else if *max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!(
            "`{}` takes {wanted} argument(s), not {n}",
            call.name
        ));
    }
    if call.name == "States.Format"
        && let Some(Arg::Literal(Value::String(template))) = call.args.first()
    {
        let holes = template.matches("{}").count();
        if holes != n - 1 {
            return Err(format!(
                "`States.Format` has {holes} `{{}}` in its template but {} value(s)",
                n - 1
            ));
        }
    }
    for arg in &call.args {
        if let Arg::Call(inner) = arg {
            check_arity(inner)?;
        }
    }
    Ok(())
}

impl Call {
    /// Evaluate a parsed call. Errors: `States.IntrinsicFailure` (a call that
    /// fails), `States.Runtime` (a path argument that selects nothing),
    /// `States.DataLimitExceeded` (a value over the service's 256 KiB
    /// payload limit, checked after each nested call so that nesting cannot
    /// build a huge string first).
    pub fn evaluate(&self, scope: &Scope) -> Result<Value, Fault> {
        let mut args = Vec::with_capacity(self.args.len());
        for (i, arg) in self.args.iter().enumerate() {
            args.push(match arg {
                // the template of States.Format keeps its escapes until it is filled
                Arg::Literal(v) if i == 0 && self.name == "States.Format" => v.clone(),
                Arg::Literal(v) => literal(v),
                Arg::Path(p) => p
                    .select(scope)
                    .map_err(|e| Fault::new(StatesError::Runtime, e.to_string()))?,
                Arg::Call(c) => c.evaluate(scope)?,
            });
        }
        let value =
            apply(&self.name, args).map_err(|e| Fault::new(StatesError::IntrinsicFailure, e))?;
        let too_big = match &value {
            Value::String(s) => s.len() > MAX_PAYLOAD,
            Value::Array(items) => items.len() > MAX_PAYLOAD / 2,
            _ => false,
        };
        if too_big {
            return Err(Fault::new(
                StatesError::DataLimitExceeded,
                format!(
                    "{} made a value larger than the service's payload limit of {MAX_PAYLOAD} bytes",
                    self.name
                ),
            ));
        }
        Ok(value)
    }
}

/// A value as `States.Format` prints it: strings bare, objects and arrays in
/// the service's notation, which is Java's `Map`/`List` `toString`
/// (`{a=1, b=[x, 2]}`: keys and strings unquoted, `, ` between entries).
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(text_of).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", text_of(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

/// The hex digest of `data` with one of the algorithms `States.Hash` and
/// JSONata's `$hash` take (MD5, SHA-1, SHA-256, SHA-384, SHA-512).
pub fn hash(data: &str, algorithm: &str) -> Result<String, String> {
    use sha2::Digest;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    Ok(match algorithm {
        "MD5" => hex(&md5::Md5::digest(data.as_bytes())),
        "SHA-1" => hex(&sha1::Sha1::digest(data.as_bytes())),
        "SHA-256" => hex(&sha2::Sha256::digest(data.as_bytes())),
        "SHA-384" => hex(&sha2::Sha384::digest(data.as_bytes())),
        "SHA-512" => hex(&sha2::Sha512::digest(data.as_bytes())),
        other => {
            return Err(format!(
                "`{other}` is not a hash algorithm: use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
            ));
        }
    })
}

/// A number as `States.MathAdd` takes it: rounded as Java's `Math.round`
/// does (half up, toward positive infinity: 1.5 is 2, -2.5 is -2), as the
/// service does with non-integer arguments.
fn java_round(value: &Value, what: &str) -> Result<i64, String> {
    if let Some(i) = value.as_i64() {
        return Ok(i);
    }
    value
        .as_f64()
        .filter(|f| f.is_finite() && f.abs() < 9.0e15)
        .map(|f| (f + 0.5).floor() as i64)
        .ok_or_else(|| format!("{what} must be a number, not {value}"))
}

fn int(value: &Value, what: &str) -> Result<i64, String> {
    value
        .as_i64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as i64)
        })
        .ok_or_else(|| format!("{what} must be an integer, not {value}"))
}

/// One call on its evaluated arguments; the error is the cause of
/// `States.IntrinsicFailure`.
fn apply(name: &str, args: Vec<Value>) -> Result<Value, String> {
    let array = |v: &Value, what: &str| -> Result<Vec<Value>, String> {
        v.as_array()
            .cloned()
            .ok_or_else(|| format!("{what} must be an array"))
    };
    let string = |v: &Value, what: &str| -> Result<String, String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{what} must be a string"))
    };
    Ok(match name {
        "States.Format" => {
            let template = string(&args[0], "the template")?;
            let mut out = String::new();
            let mut values = args[1..].iter();
            let mut parts = template.split("{}").peekable();
            while let Some(part) = parts.next() {
                out.push_str(&unescape(part));
                if parts.peek().is_some() {
                    let v = values
                        .next()
                        .ok_or("the template has more `{}` than values")?;
                    out.push_str(&text_of(v));
                }
            }
            Value::String(out)
        }
        "States.StringToJson" => {
            let text = string(&args[0], "the argument")?;
            // the service gives null for an empty or blank string
            if text.trim().is_empty() {
                Value::Null
            } else {
                match serde_json::from_str(&text)
                    .map_err(|e| format!("the string is not JSON: {e}"))?
                {
                    // `-0` parses as the integer 0, not the float -0.0
                    Value::Number(n)
                        if n.as_f64() == Some(0.0) && !text.contains(['.', 'e', 'E']) =>
                    {
                        json!(0)
                    }
                    v => v,
                }
            }
        }
        "States.JsonToString" => Value::String(args[0].to_string()),
        "States.Array" => Value::Array(args),
        "States.ArrayPartition" => {
            let items = array(&args[0], "the first argument")?;
            let size = int(&args[1], "the chunk size")?;
            if size <= 0 {
                return Err("the chunk size must be positive".into());
            }
            Value::Array(
                items
                    .chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            )
        }
        "States.ArrayContains" => json!(array(&args[0], "the first argument")?.contains(&args[1])),
        "States.ArrayRange" => {
            let (start, end, step) = (
                int(&args[0], "the start")?,
                int(&args[1], "the end")?,
                int(&args[2], "the step")?,
            );
            if step == 0 {
                return Err("the step cannot be 0".into());
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i <= end) || (step < 0 && i >= end) {
                out.push(json!(i));
                if out.len() > 1000 {
                    return Err("States.ArrayRange makes at most 1000 items".into());
                }
                i += step;
            }
            Value::Array(out)
        }
        "States.ArrayGetItem" => {
            let items = array(&args[0], "the first argument")?;
            let index = int(&args[1], "the index")?;
            items
                .get(usize::try_from(index).map_err(|_| "the index cannot be negative")?)
                .cloned()
                .ok_or_else(|| format!("index {index} is out of range"))?
        }
        "States.ArrayLength" => json!(array(&args[0], "the argument")?.len()),
        "States.ArrayUnique" => {
            let mut out: Vec<Value> = Vec::new();
            for v in array(&args[0], "the argument")? {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Value::Array(out)
        }
        "States.Base64Encode" => Value::String(
            base64::engine::general_purpose::STANDARD.encode(string(&args[0], "the argument")?),
        ),
        "States.Base64Decode" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(string(&args[0], "the argument")?)
                .map_err(|e| format!("not base64: {e}"))?;
            Value::String(String::from_utf8(bytes).map_err(|_| "the decoded bytes are not UTF-8")?)
        }
        "States.Hash" => Value::String(hash(
            &text_of(&args[0]),
            &string(&args[1], "the algorithm")?,
        )?),
        "States.JsonMerge" => {
            if args[2] != json!(false) {
                return Err(
                    "States.JsonMerge only merges shallowly: its third argument must be false"
                        .into(),
                );
            }
            let (Value::Object(a), Value::Object(b)) = (&args[0], &args[1]) else {
                return Err("States.JsonMerge merges two objects".into());
            };
            let mut out: Map<String, Value> = a.clone();
            for (k, v) in b {
                out.insert(k.clone(), v.clone());
            }
            Value::Object(out)
        }
        "States.MathRandom" => {
            use rand::{Rng, SeedableRng};
            let (start, end) = (int(&args[0], "the start")?, int(&args[1], "the end")?);
            if end <= start {
                return Err("the end must be greater than the start".into());
            }
            let mut rng = match args.get(2) {
                Some(seed) => rand::rngs::StdRng::seed_from_u64(int(seed, "the seed")? as u64),
                None => rand::rngs::StdRng::seed_from_u64(uuid::Uuid::new_v4().as_u64_pair().0),
            };
            json!(rng.random_range(start..end))
        }
        "States.MathAdd" => json!(
            java_round(&args[0], "the first number")?
                .checked_add(java_round(&args[1], "the second number")?)
                .ok_or("the sum overflows")?
        ),
        "States.StringSplit" => {
            let text = string(&args[0], "the string")?;
            let delimiters = string(&args[1], "the delimiter")?;
            Value::Array(
                text.split(|c| delimiters.contains(c))
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )
        }
        "States.UUID" => Value::String(uuid::Uuid::new_v4().to_string()),
        other => return Err(format!("`{other}` is not an intrinsic function")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, input: Value) -> Result<Value, String> {
        let context = json!({"Execution": {"Id": "e1"}});
        let vars = Map::new();
        parse(text)?
            .evaluate(&Scope {
                input: &input,
                context: &context,
                variables: &vars,
            })
            .map_err(|f| f.cause)
    }

    #[test]
    fn each_intrinsic() {
        let input = json!({"name": "Ada", "list": [1, 2, 2, 3], "json": "{\"a\":1}", "n": 4});
        let cases = [
            (
                "States.Format('Hello, {}! {}', $.name, $.n)",
                json!("Hello, Ada! 4"),
            ),
            ("States.Format('it\\'s \\{\\}')", json!("it's {}")),
            ("States.StringToJson($.json)", json!({"a": 1})),
            ("States.JsonToString($.list)", json!("[1,2,2,3]")),
            (
                "States.Array($.name, 1, true, null)",
                json!(["Ada", 1, true, null]),
            ),
            ("States.ArrayPartition($.list, 3)", json!([[1, 2, 2], [3]])),
            ("States.ArrayContains($.list, 3)", json!(true)),
            ("States.ArrayRange(1, 9, 2)", json!([1, 3, 5, 7, 9])),
            ("States.ArrayGetItem($.list, 3)", json!(3)),
            ("States.ArrayLength($.list)", json!(4)),
            ("States.ArrayUnique($.list)", json!([1, 2, 3])),
            (
                "States.Base64Encode('Data to encode')",
                json!("RGF0YSB0byBlbmNvZGU="),
            ),
            (
                "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
                json!("Data to encode"),
            ),
            (
                "States.Hash('input data', 'SHA-1')",
                json!("aaff4a450a104cd177d28d18d74485e8cae074b7"),
            ),
            (
                "States.Hash('input data', 'MD5')",
                json!("812f45842bc6d66ee14572ce20db8e86"),
            ),
            (
                "States.JsonMerge(States.StringToJson('{\"a\":1,\"b\":1}'), States.StringToJson('{\"b\":2}'), false)",
                json!({"a": 1, "b": 2}),
            ),
            (
                "States.MathRandom(1, 10, 42)",
                run("States.MathRandom(1, 10, 42)", json!({})).unwrap(),
            ),
            ("States.MathAdd($.n, -1)", json!(3)),
            ("States.StringSplit('a,b;c', ',;')", json!(["a", "b", "c"])),
            (
                "States.ArrayLength(States.Array($$.Execution.Id))",
                json!(1),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(run(text, input.clone()).unwrap(), want, "{text}");
        }
        let n = run("States.MathRandom(1, 10)", json!({}))
            .unwrap()
            .as_i64()
            .unwrap();
        assert!((1..10).contains(&n));
        assert_eq!(
            run("States.UUID()", json!({}))
                .unwrap()
                .as_str()
                .unwrap()
                .len(),
            36
        );
    }

    /// The service's values for the cases issue 19 lists (Java's rounding in
    /// MathAdd, Java's notation in Format, StringToJson of blank and `-0`).
    #[test]
    fn the_services_values_at_the_edges() {
        let input = json!({"obj": {"a": 1, "b": [], "c": {"d": "x y"}, "e": null}, "arr": [1, "two", 2.5, true]});
        for (text, want) in [
            ("States.MathAdd(1.5, 1.49)", json!(3)),
            ("States.MathAdd(-2.5, 0)", json!(-2)),
            ("States.MathAdd(-2.51, 0)", json!(-3)),
            ("States.MathAdd(2.5, 0.5)", json!(4)),
            (
                "States.Format('x={}', $.obj)",
                json!("x={a=1, b=[], c={d=x y}, e=null}"),
            ),
            ("States.Format('{}', $.arr)", json!("[1, two, 2.5, true]")),
            ("States.StringToJson('')", Value::Null),
            ("States.StringToJson('  ')", Value::Null),
            ("States.StringToJson('-0')", json!(0)),
        ] {
            let got = run(text, input.clone()).unwrap();
            assert_eq!(got, want, "{text}");
            if text.contains("'-0'") {
                assert!(got.is_i64(), "{got:?}");
            }
        }
        assert!(run("States.MathAdd('1', 1)", json!({})).is_err());
    }

    #[test]
    fn bad_calls_are_refused_before_and_during_a_run() {
        for (text, want) in [
            (
                "States.Format('{} {}', $.a)",
                "2 `{}` in its template but 1 value",
            ),
            ("States.ArrayLength()", "takes 1 argument(s), not 0"),
            ("States.Nope(1)", "is not an intrinsic function"),
            ("States.Format('x'", "expected `,` or `)`"),
            ("States.Format('x)", "unclosed string"),
            ("States.MathAdd(1, abc)", "`abc` is not a string"),
            ("States.UUID() extra", "unexpected text"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
        assert!(run("States.ArrayGetItem($.l, 5)", json!({"l": [1]})).is_err());
        assert!(run("States.StringToJson('{x')", json!({})).is_err());
        assert!(run("States.JsonMerge($.a, $.a, true)", json!({"a": {}})).is_err());
        assert!(run("States.Hash('x', 'SHA-3')", json!({})).is_err());
    }
}
