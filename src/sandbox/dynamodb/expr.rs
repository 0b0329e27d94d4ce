//! DynamoDB's expressions, parsed: condition and filter expressions (also
//! key conditions), update expressions and projection expressions, with
//! `#name` and `:value` placeholders resolved and unused placeholders refused.
//!
//! Grammar from the developer guide ("Condition and filter expressions,
//! operators, and functions", "Update expressions", "Projection expressions"):
//! comparators `= <> < <= > >=`, `BETWEEN ... AND ...`, `IN (...)`, `AND`,
//! `OR`, `NOT` (in that order of binding, loosest last), parentheses, the
//! functions `attribute_exists`, `attribute_not_exists`, `attribute_type`,
//! `begins_with`, `contains`, `size`; `SET` (with `+`, `-`, `if_not_exists`,
//! `list_append`), `REMOVE`, `ADD`, `DELETE`.

use std::collections::{BTreeMap, BTreeSet};

use super::DynamoError;
use super::value::AttributeValue;

/// A document path: `a.b[2].c`, names already resolved from `#placeholders`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path(pub Vec<Step>);

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Name(String),
    Index(usize),
}

impl Path {
    /// The top-level attribute the path starts at.
    pub fn root(&self) -> &str {
        match self.0.first() {
            Some(Step::Name(n)) => n,
            _ => "",
        }
    }
}

/// A value in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttributeValue),
    /// `size(path)`
    Size(Path),
    /// `if_not_exists(path, operand)` (updates only)
    IfNotExists(Path, Box<Operand>),
    /// `list_append(a, b)` (updates only)
    ListAppend(Box<Operand>, Box<Operand>),
    /// `a + b`, `a - b` (updates only)
    Plus(Box<Operand>, Box<Operand>),
    Minus(Box<Operand>, Box<Operand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition (also a filter and a key condition).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    AttributeExists(Path),
    AttributeNotExists(Path),
    AttributeType(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// An update expression's actions, each clause in the order written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(Path, Operand)>,
    pub remove: Vec<Path>,
    pub add: Vec<(Path, Operand)>,
    pub delete: Vec<(Path, Operand)>,
}

/// `ExpressionAttributeNames` and `ExpressionAttributeValues`, and which of
/// them the request's expressions used.
pub struct Placeholders<'a> {
    names: &'a BTreeMap<String, String>,
    values: &'a BTreeMap<String, AttributeValue>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl<'a> Placeholders<'a> {
    pub fn new(
        names: &'a BTreeMap<String, String>,
        values: &'a BTreeMap<String, AttributeValue>,
    ) -> Self {
        Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// After every expression of a request is parsed: DynamoDB refuses names
    /// and values that none of them uses.
    pub fn check_unused(&self) -> Result<(), DynamoError> {
        let unused = |all: Vec<&String>, used: &BTreeSet<String>| -> Vec<String> {
            all.into_iter()
                .filter(|k| !used.contains(*k))
                .cloned()
                .collect()
        };
        let names = unused(self.names.keys().collect(), &self.used_names);
        if !names.is_empty() {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                names.join(", ")
            )));
        }
        let values = unused(self.values.keys().collect(), &self.used_values);
        if !values.is_empty() {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                values.join(", ")
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Name(String),
    Value(String),
    Number(usize),
    Symbol(&'static str),
}

/// Deepest nesting of parentheses and `NOT` an expression may have.
const MAX_DEPTH: usize = 64;

/// DynamoDB's limits on an expression (developer guide, "Quotas in Amazon
/// DynamoDB", "Expression parameters"): 4 KB of text, 300 operators or functions.
const MAX_EXPRESSION_BYTES: usize = 4096;
const MAX_OPERATORS: usize = 300;

fn tokens(text: &str, what: &str) -> Result<Vec<Token>, DynamoError> {
    let bad = |message: String| DynamoError::validation(format!("Invalid {what}: {message}"));
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let symbol = match (c, chars.get(i + 1)) {
            ('<', Some('>')) => Some("<>"),
            ('<', Some('=')) => Some("<="),
            ('>', Some('=')) => Some(">="),
            ('<', _) => Some("<"),
            ('>', _) => Some(">"),
            ('=', _) => Some("="),
            ('(', _) => Some("("),
            (')', _) => Some(")"),
            ('[', _) => Some("["),
            (']', _) => Some("]"),
            (',', _) => Some(","),
            ('.', _) => Some("."),
            ('+', _) => Some("+"),
            ('-', _) => Some("-"),
            _ => None,
        };
        if let Some(s) = symbol {
            out.push(Token::Symbol(s));
            i += s.len();
            continue;
        }
        if c == '#' || c == ':' {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && word(chars[end]) {
                end += 1;
            }
            if end == start {
                return Err(bad(format!("Syntax error; token: \"{c}\", near: \"{c}\"")));
            }
            let name: String = chars[i..end].iter().collect();
            out.push(if c == '#' {
                Token::Name(name)
            } else {
                Token::Value(name)
            });
            i = end;
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let n: String = chars[start..i].iter().collect();
            out.push(Token::Number(
                n.parse()
                    .map_err(|_| bad(format!("Syntax error; token: \"{n}\"")))?,
            ));
            continue;
        }
        if word(c) {
            let start = i;
            while i < chars.len() && word(chars[i]) {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
            continue;
        }
        return Err(bad(format!("Syntax error; token: \"{c}\", near: \"{c}\"")));
    }
    Ok(out)
}

struct Parser<'p, 'a> {
    tokens: Vec<Token>,
    at: usize,
    placeholders: &'p mut Placeholders<'a>,
    what: &'static str,
    depth: usize,
    operators: usize,
}

impl Parser<'_, '_> {
    fn fail<T>(&self, message: impl Into<String>) -> Result<T, DynamoError> {
        Err(DynamoError::validation(format!(
            "Invalid {}: {}",
            self.what,
            message.into()
        )))
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn symbol(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Token::Symbol(t)) if *t == s)
    }

    fn expect(&mut self, s: &str) -> Result<(), DynamoError> {
        if self.symbol(s) {
            self.at += 1;
            Ok(())
        } else {
            let near = self.near();
            self.fail(format!("Syntax error; expected \"{s}\", near: \"{near}\""))
        }
    }

    fn near(&self) -> String {
        match self.peek() {
            None => "<EOF>".into(),
            Some(Token::Word(w) | Token::Name(w) | Token::Value(w)) => w.clone(),
            Some(Token::Number(n)) => n.to_string(),
            Some(Token::Symbol(s)) => s.to_string(),
        }
    }

    /// Count an operator or function against DynamoDB's 300.
    fn operator(&mut self) -> Result<(), DynamoError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return self.fail(format!(
                "The expression contains too many operators; the limit is {MAX_OPERATORS}"
            ));
        }
        Ok(())
    }

    fn deeper(&mut self) -> Result<(), DynamoError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("The expression is nested too deeply");
        }
        Ok(())
    }

    fn path(&mut self) -> Result<Path, DynamoError> {
        let mut steps = vec![Step::Name(self.name()?)];
        loop {
            if self.symbol(".") {
                self.at += 1;
                steps.push(Step::Name(self.name()?));
            } else if self.symbol("[") {
                self.at += 1;
                let Some(Token::Number(n)) = self.peek().cloned() else {
                    let near = self.near();
                    return self.fail(format!(
                        "Syntax error; token: \"{near}\", near: \"[{near}\""
                    ));
                };
                self.at += 1;
                self.expect("]")?;
                steps.push(Step::Index(n));
            } else {
                return Ok(Path(steps));
            }
        }
    }

    fn name(&mut self) -> Result<String, DynamoError> {
        match self.peek().cloned() {
            Some(Token::Word(w)) => {
                self.at += 1;
                Ok(w)
            }
            Some(Token::Name(n)) => {
                self.at += 1;
                let Some(resolved) = self.placeholders.names.get(&n) else {
                    return self.fail(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {n}"
                    ));
                };
                self.placeholders.used_names.insert(n);
                Ok(resolved.clone())
            }
            _ => {
                let near = self.near();
                self.fail(format!("Syntax error; token: \"{near}\", near: \"{near}\""))
            }
        }
    }

    fn function_name(&self) -> Option<String> {
        match (self.peek(), self.tokens.get(self.at + 1)) {
            (Some(Token::Word(w)), Some(Token::Symbol("("))) => Some(w.clone()),
            _ => None,
        }
    }

    /// An operand of a condition, or (`update`) of a SET action.
    fn operand(&mut self, update: bool) -> Result<Operand, DynamoError> {
        let first = self.term(update)?;
        if update && (self.symbol("+") || self.symbol("-")) {
            let plus = self.symbol("+");
            self.at += 1;
            let second = self.term(update)?;
            return Ok(if plus {
                Operand::Plus(Box::new(first), Box::new(second))
            } else {
                Operand::Minus(Box::new(first), Box::new(second))
            });
        }
        Ok(first)
    }

    fn term(&mut self, update: bool) -> Result<Operand, DynamoError> {
        if let Some(Token::Value(v)) = self.peek().cloned() {
            self.at += 1;
            let Some(value) = self.placeholders.values.get(&v) else {
                return self.fail(format!(
                    "An expression attribute value used in expression is not defined; attribute value: {v}"
                ));
            };
            self.placeholders.used_values.insert(v);
            return Ok(Operand::Value(value.clone()));
        }
        if let Some(f) = self.function_name() {
            self.at += 2;
            self.operator()?;
            self.deeper()?;
            let operand = match (f.as_str(), update) {
                ("size", false) => Operand::Size(self.path()?),
                ("if_not_exists", true) => {
                    let path = self.path()?;
                    self.expect(",")?;
                    Operand::IfNotExists(path, Box::new(self.operand(true)?))
                }
                ("list_append", true) => {
                    let a = self.operand(true)?;
                    self.expect(",")?;
                    Operand::ListAppend(Box::new(a), Box::new(self.operand(true)?))
                }
                _ => {
                    return self.fail(format!(
                        "The function is not allowed to be used this way in an expression; function: {f}"
                    ));
                }
            };
            self.expect(")")?;
            self.depth -= 1;
            return Ok(operand);
        }
        Ok(Operand::Path(self.path()?))
    }

    fn condition(&mut self) -> Result<Condition, DynamoError> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            self.at += 1;
            self.operator()?;
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, DynamoError> {
        let mut left = self.not()?;
        while self.keyword("AND") {
            self.at += 1;
            self.operator()?;
            left = Condition::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, DynamoError> {
        if self.keyword("NOT") {
            self.at += 1;
            self.operator()?;
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, DynamoError> {
        if self.symbol("(") {
            self.at += 1;
            self.deeper()?;
            let inner = self.condition()?;
            self.expect(")")?;
            self.depth -= 1;
            return Ok(inner);
        }
        if let Some(f) = self.function_name()
            && f != "size"
        {
            self.at += 2;
            self.operator()?;
            let condition = match f.as_str() {
                "attribute_exists" => Condition::AttributeExists(self.path()?),
                "attribute_not_exists" => Condition::AttributeNotExists(self.path()?),
                "attribute_type" => {
                    let path = self.path()?;
                    self.expect(",")?;
                    Condition::AttributeType(path, self.operand(false)?)
                }
                "begins_with" => {
                    let a = self.operand(false)?;
                    self.expect(",")?;
                    Condition::BeginsWith(a, self.operand(false)?)
                }
                "contains" => {
                    let a = self.operand(false)?;
                    self.expect(",")?;
                    Condition::Contains(a, self.operand(false)?)
                }
                other => {
                    return self.fail(format!("Invalid function name; function: {other}"));
                }
            };
            self.expect(")")?;
            return Ok(condition);
        }
        let left = self.operand(false)?;
        if self.keyword("BETWEEN") {
            self.at += 1;
            let low = self.operand(false)?;
            if !self.keyword("AND") {
                let near = self.near();
                return self.fail(format!("Syntax error; token: \"{near}\", near: \"{near}\""));
            }
            self.at += 1;
            let high = self.operand(false)?;
            return Ok(Condition::Between(left, low, high));
        }
        if self.keyword("IN") {
            self.at += 1;
            self.expect("(")?;
            let mut list = vec![self.operand(false)?];
            while self.symbol(",") {
                self.at += 1;
                list.push(self.operand(false)?);
            }
            self.expect(")")?;
            if list.len() > 100 {
                return self.fail("The IN operator takes at most 100 values");
            }
            return Ok(Condition::In(left, list));
        }
        let comparator = match self.peek() {
            Some(Token::Symbol("=")) => Comparator::Eq,
            Some(Token::Symbol("<>")) => Comparator::Ne,
            Some(Token::Symbol("<")) => Comparator::Lt,
            Some(Token::Symbol("<=")) => Comparator::Le,
            Some(Token::Symbol(">")) => Comparator::Gt,
            Some(Token::Symbol(">=")) => Comparator::Ge,
            _ => {
                let near = self.near();
                return self.fail(format!("Syntax error; token: \"{near}\", near: \"{near}\""));
            }
        };
        self.at += 1;
        self.operator()?;
        Ok(Condition::Compare(left, comparator, self.operand(false)?))
    }

    fn end(&self) -> Result<(), DynamoError> {
        if self.at < self.tokens.len() {
            let near = self.near();
            return self.fail(format!("Syntax error; token: \"{near}\", near: \"{near}\""));
        }
        Ok(())
    }
}

fn parser<'p, 'a>(
    text: &str,
    what: &'static str,
    placeholders: &'p mut Placeholders<'a>,
) -> Result<Parser<'p, 'a>, DynamoError> {
    if text.trim().is_empty() {
        return Err(DynamoError::validation(format!(
            "Invalid {what}: The expression can not be empty;"
        )));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(DynamoError::validation(format!(
            "Invalid {what}: Expression size has exceeded the maximum allowed size; expression size: {}",
            text.len()
        )));
    }
    Ok(Parser {
        tokens: tokens(text, what)?,
        at: 0,
        placeholders,
        what,
        depth: 0,
        operators: 0,
    })
}

/// A condition, filter or key condition expression; `what` names it in errors
/// (`ConditionExpression`, `FilterExpression`, `KeyConditionExpression`).
pub fn condition(
    text: &str,
    what: &'static str,
    placeholders: &mut Placeholders,
) -> Result<Condition, DynamoError> {
    let mut p = parser(text, what, placeholders)?;
    let c = p.condition()?;
    p.end()?;
    Ok(c)
}

/// An update expression.
pub fn update(text: &str, placeholders: &mut Placeholders) -> Result<Update, DynamoError> {
    let mut p = parser(text, "UpdateExpression", placeholders)?;
    let mut update = Update::default();
    let mut seen = BTreeSet::new();
    while p.peek().is_some() {
        let Some(Token::Word(clause)) = p.peek().cloned() else {
            let near = p.near();
            return p.fail(format!("Syntax error; token: \"{near}\", near: \"{near}\""));
        };
        let clause = clause.to_ascii_uppercase();
        if !seen.insert(clause.clone()) {
            return p.fail(format!(
                "The \"{clause}\" section can only be used once in an update expression;"
            ));
        }
        p.at += 1;
        loop {
            match clause.as_str() {
                "SET" => {
                    let path = p.path()?;
                    p.expect("=")?;
                    update.set.push((path, p.operand(true)?));
                }
                "REMOVE" => update.remove.push(p.path()?),
                "ADD" | "DELETE" => {
                    let path = p.path()?;
                    let value = p.term(false)?;
                    if clause == "ADD" {
                        update.add.push((path, value));
                    } else {
                        update.delete.push((path, value));
                    }
                }
                other => {
                    return p.fail(format!(
                        "Syntax error; token: \"{other}\", near: \"{other}\""
                    ));
                }
            }
            if p.symbol(",") {
                p.at += 1;
            } else {
                break;
            }
        }
    }
    Ok(update)
}

/// A projection expression: the paths to return.
pub fn projection(text: &str, placeholders: &mut Placeholders) -> Result<Vec<Path>, DynamoError> {
    let mut p = parser(text, "ProjectionExpression", placeholders)?;
    let mut paths = vec![p.path()?];
    while p.symbol(",") {
        p.at += 1;
        paths.push(p.path()?);
    }
    p.end()?;
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> BTreeMap<String, String> {
        [("#s".to_string(), "status".to_string())].into()
    }

    fn values() -> BTreeMap<String, AttributeValue> {
        [
            (":a".to_string(), AttributeValue::S("x".into())),
            (":n".to_string(), AttributeValue::N(1.into())),
        ]
        .into()
    }

    #[test]
    fn conditions_parse_with_precedence_and_placeholders() {
        let (n, v) = (names(), values());
        let mut p = Placeholders::new(&n, &v);
        let c = condition(
            "#s = :a OR NOT a.b[1] < :n AND attribute_exists(c)",
            "ConditionExpression",
            &mut p,
        )
        .unwrap();
        let Condition::Or(_, right) = c else {
            panic!("{c:?}")
        };
        assert!(matches!(*right, Condition::And(_, _)));
        p.check_unused().unwrap();
        let mut p = Placeholders::new(&n, &v);
        assert!(condition("#s = :a", "ConditionExpression", &mut p).is_ok());
        let e = p.check_unused().unwrap_err();
        assert!(e.message.contains(":n"), "{e:?}");
        for bad in ["", "a =", "#nope = :a", "a = :nope", "a = :a)", "size(a) ="] {
            let mut p = Placeholders::new(&n, &v);
            assert!(
                condition(bad, "ConditionExpression", &mut p).is_err(),
                "{bad}"
            );
        }
        let deep = format!("{}a = :a{}", "(".repeat(100), ")".repeat(100));
        let mut p = Placeholders::new(&n, &v);
        assert!(condition(&deep, "ConditionExpression", &mut p).is_err());
        // DynamoDB's limits: 300 operators, 4 KB (a long flat chain would
        // otherwise nest the tree deeper than the stack)
        let many = vec!["a = :a"; 151].join(" OR ");
        let mut p = Placeholders::new(&n, &v);
        let e = condition(&many, "ConditionExpression", &mut p).unwrap_err();
        assert!(e.message.contains("too many operators"), "{e:?}");
        let long = format!("a = :a OR {}", "b".repeat(5000));
        let mut p = Placeholders::new(&n, &v);
        assert!(condition(&long, "ConditionExpression", &mut p).is_err());
    }

    #[test]
    fn updates_and_projections_parse() {
        let (n, v) = (names(), values());
        let mut p = Placeholders::new(&n, &v);
        let u = update(
            "SET #s = :a, c = if_not_exists(c, :n) + :n REMOVE d ADD e :n",
            &mut p,
        )
        .unwrap();
        assert_eq!((u.set.len(), u.remove.len(), u.add.len()), (2, 1, 1));
        let mut p = Placeholders::new(&n, &v);
        assert!(update("SET a = :a SET b = :a", &mut p).is_err());
        let mut p = Placeholders::new(&n, &v);
        assert_eq!(projection("a, #s.b[0]", &mut p).unwrap().len(), 2);
    }
}
