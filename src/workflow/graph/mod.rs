//! The diagram of a state machine, as the console draws it: states as nodes by
//! type, transitions, Choice branches labelled with their rule, Catch edges
//! dashed, Map and Parallel as boxes around their states. Written as Mermaid or
//! Graphviz DOT text, or drawn in-process to SVG (layout-rs) and PNG (resvg).
//! With an execution's history, the states it visited are coloured.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use serde_json::Value;

use super::StatesError;

mod draw;
use super::tree::{Comparison, Condition, Expected, Jsonata, Kind, Machine, Order, Rule};
pub use draw::svg;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Next,
    Choice,
    Default,
    Catch,
    /// From a Map or Parallel state to the start of its branch.
    Branch,
    Start,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub kind: EdgeKind,
}

/// A Map's processor or one branch of a Parallel: a box of states.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: String,
    pub label: String,
    /// The Map or Parallel node the box belongs to.
    pub owner: String,
    pub nodes: Vec<String>,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// The top-level states' ids.
    pub top: Vec<String>,
    pub groups: Vec<Group>,
}

/// What an execution did to a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Entered, not left (the execution is still there).
    Visited,
    Succeeded,
    /// Failed, and the failure went on to the enclosing state or the execution.
    Failed,
    /// Failed, and a `Catch` took the execution elsewhere.
    Caught,
    /// Failed at least once, then succeeded on a `Retry`.
    Retried,
}

/// Each mark, its name in the diagrams' legend and Mermaid classes, in the
/// legend's order.
pub const MARKS: [(Mark, &str); 5] = [
    (Mark::Succeeded, "succeeded"),
    (Mark::Retried, "retried"),
    (Mark::Caught, "caught"),
    (Mark::Failed, "failed"),
    (Mark::Visited, "visited"),
];

fn short(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        text
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// A Choice rule as a short label: `$.n > 10`, `($.a == 'x' and $.b < 3)`, or
/// a JSONata rule's expression.
pub fn rule_label(condition: &Condition) -> String {
    let text = match condition {
        Condition::Jsonata(Jsonata::Expression(e)) => e.clone(),
        Condition::Jsonata(Jsonata::Literal(Value::String(s))) => s.clone(),
        Condition::Jsonata(other) => other.to_value().to_string(),
        Condition::JsonPath(rule) => return rule_text(rule),
    };
    short(&text, 40)
}

/// A JSONPath rule as a short label, each nested rule shortened too.
fn rule_text(rule: &Rule) -> String {
    let join = |op: &str, items: &[Rule]| -> String {
        let parts: Vec<String> = items.iter().map(rule_text).collect();
        format!("({})", parts.join(&format!(" {op} ")))
    };
    let text = match rule {
        Rule::And(all) => join("and", all),
        Rule::Or(any) => join("or", any),
        Rule::Not(n) => format!("not {}", rule_text(n)),
        Rule::Test {
            comparison: None, ..
        } => String::new(),
        Rule::Test {
            variable,
            comparison: Some(comparison),
        } => {
            let variable = variable.text();
            let shown = |e: &Expected| match e {
                Expected::Path(p) => p.text().to_string(),
                Expected::Value(Value::String(s)) => format!("'{s}'"),
                Expected::Value(v) => v.to_string(),
            };
            match comparison {
                Comparison::Compare { order, operand, .. } => {
                    let symbol = match order {
                        Order::Equals => "==",
                        Order::LessThan => "<",
                        Order::GreaterThan => ">",
                        Order::LessThanEquals => "<=",
                        Order::GreaterThanEquals => ">=",
                    };
                    format!("{variable} {symbol} {}", shown(operand))
                }
                Comparison::Matches(pattern) => format!("{variable} matches {}", shown(pattern)),
                Comparison::Is(kind, truth) => format!("{variable} Is{kind:?} {truth}"),
            }
        }
    };
    short(&text, 40)
}

struct Builder {
    graph: Graph,
    ids: HashSet<String>,
}

impl Builder {
    fn id(&mut self, name: &str) -> String {
        let base: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let base = format!("s_{base}");
        let mut id = base.clone();
        let mut n = 1;
        while !self.ids.insert(id.clone()) {
            n += 1;
            id = format!("{base}_{n}");
        }
        id
    }

    /// Add a machine's states; returns their ids and the id of the start state.
    fn machine(&mut self, machine: &Machine) -> (Vec<String>, Vec<Group>, Option<String>) {
        let mut ids: HashMap<&str, String> = HashMap::new();
        let mut order = Vec::new();
        for state in &machine.states {
            let id = self.id(&state.name);
            ids.insert(state.name.as_str(), id.clone());
            order.push(id.clone());
            self.graph.nodes.push(Node {
                id,
                name: state.name.clone(),
                kind: state.type_name().to_string(),
            });
        }
        let mut groups = Vec::new();
        for state in &machine.states {
            let name = &state.name;
            let from = ids[name.as_str()].clone();
            let edge = |to: &str, label: String, kind: EdgeKind, graph: &mut Graph| {
                if let Some(to) = ids.get(to) {
                    graph.edges.push(Edge {
                        from: from.clone(),
                        to: to.clone(),
                        label,
                        kind,
                    });
                }
            };
            if let Some(n) = state.next() {
                edge(n, String::new(), EdgeKind::Next, &mut self.graph);
            }
            let mut branches: Vec<(&Machine, String)> = Vec::new();
            match &state.kind {
                Kind::Choice(choice) => {
                    for rule in &choice.rules {
                        edge(
                            &rule.next,
                            rule_label(&rule.condition),
                            EdgeKind::Choice,
                            &mut self.graph,
                        );
                    }
                    if let Some(d) = &choice.default {
                        edge(d, "Default".into(), EdgeKind::Default, &mut self.graph);
                    }
                }
                Kind::Map(map) => branches.push((&map.processor, format!("{name}: each item"))),
                Kind::Parallel(parallel) => {
                    for (i, b) in parallel.branches.iter().enumerate() {
                        branches.push((b, format!("{name}: branch {}", i + 1)));
                    }
                }
                _ => {}
            }
            for c in state.errors().map(|e| e.catch.as_slice()).unwrap_or(&[]) {
                let errors: Vec<&str> = c.error_equals.iter().map(StatesError::name).collect();
                edge(
                    &c.next,
                    short(&errors.join(", "), 40),
                    EdgeKind::Catch,
                    &mut self.graph,
                );
            }
            for (branch, label) in branches {
                let (nodes, inner, start) = self.machine(branch);
                let gid = self.id(&format!("group {label}"));
                if let Some(start) = start {
                    self.graph.edges.push(Edge {
                        from: from.clone(),
                        to: start,
                        label: String::new(),
                        kind: EdgeKind::Branch,
                    });
                }
                groups.push(Group {
                    id: gid,
                    label,
                    owner: from.clone(),
                    nodes,
                    groups: inner,
                });
            }
        }
        let start = ids.get(machine.start_at.as_str()).cloned();
        (order, groups, start)
    }
}

/// The graph of a machine.
pub fn build(machine: &Machine) -> Graph {
    let mut b = Builder {
        graph: Graph::default(),
        ids: HashSet::new(),
    };
    let (top, groups, start) = b.machine(machine);
    b.graph.top = top;
    b.graph.groups = groups;
    if let Some(start) = start {
        b.graph.edges.insert(
            0,
            Edge {
                from: "start".into(),
                to: start,
                label: String::new(),
                kind: EdgeKind::Start,
            },
        );
    }
    // the top-level states that end the machine lead to End
    for (state, id) in machine.states.iter().zip(b.graph.top.clone()) {
        if state.ends() {
            b.graph.edges.push(Edge {
                from: id,
                to: "end".into(),
                label: String::new(),
                kind: EdgeKind::End,
            });
        }
    }
    b.graph
}

/// What an execution history (`hoist workflow run --history`, or Step Functions'
/// `GetExecutionHistory` events) says about each state, by name.
pub fn marks(history: &Value) -> HashMap<String, Mark> {
    let events = history
        .get("events")
        .or(history.get("Events"))
        .unwrap_or(history)
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut marks = HashMap::new();
    // open states, innermost last: name, state type, whether it failed
    // (and not since succeeded), whether it ever failed
    let mut open: Vec<(String, String, bool, bool)> = Vec::new();
    for e in &events {
        let kind = e
            .get("type")
            .or(e.get("Type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let detail_name = |key: &str| {
            e.get(key)
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if let Some(state_type) = kind.strip_suffix("StateEntered") {
            if let Some(name) = detail_name("stateEnteredEventDetails") {
                marks.insert(name.clone(), Mark::Visited);
                open.push((name, state_type.to_string(), false, false));
            }
        } else if kind.ends_with("StateExited") {
            if let Some(name) = detail_name("stateExitedEventDetails")
                && let Some(pos) = open.iter().rposition(|(n, _, _, _)| *n == name)
            {
                // states still open inside it (a failed branch's) failed
                for (inner, _, _, _) in open.drain(pos + 1..) {
                    marks.insert(inner, Mark::Failed);
                }
                let (_, _, failed, ever) = open.remove(pos);
                marks.insert(
                    name,
                    match (failed, ever) {
                        (true, _) => Mark::Caught,
                        (false, true) => Mark::Retried,
                        (false, false) => Mark::Succeeded,
                    },
                );
            }
        } else if matches!(
            kind,
            "TaskSucceeded"
                | "LambdaFunctionSucceeded"
                | "ActivitySucceeded"
                | "MapStateSucceeded"
                | "ParallelStateSucceeded"
        ) {
            // an attempt after a failure (a retry) succeeded
            let owner = ["Map", "Parallel"]
                .into_iter()
                .find(|t| kind.starts_with(t));
            let at = match owner {
                Some(t) => open.iter().rposition(|(_, ty, _, _)| ty == t),
                None => open.len().checked_sub(1),
            };
            if let Some(at) = at {
                open[at].2 = false;
            }
        } else if kind.ends_with("Failed")
            || kind.ends_with("TimedOut")
            || kind == "ExecutionAborted"
        {
            if kind.starts_with("Execution") {
                for (name, _, _, _) in open.drain(..) {
                    marks.insert(name, Mark::Failed);
                }
                continue;
            }
            // the state the failure is about: a Map or Parallel for theirs, else
            // the innermost; a failed Map iteration is its own states' (a Map
            // that tolerates it is not failed)
            if kind.starts_with("MapIteration") {
                continue;
            }
            let owner = ["Map", "Parallel"]
                .into_iter()
                .find(|t| kind.starts_with(t));
            let at = match owner {
                Some(t) => open.iter().rposition(|(_, ty, _, _)| ty == t),
                None => open.len().checked_sub(1),
            };
            if let Some(at) = at {
                for (inner, _, _, _) in open.drain(at + 1..) {
                    marks.insert(inner, Mark::Failed);
                }
                open[at].2 = true;
                open[at].3 = true;
            }
        }
    }
    marks
}

fn color(mark: Option<Mark>) -> Option<&'static str> {
    match mark {
        Some(Mark::Visited) => Some("#bbdefb"),
        Some(Mark::Succeeded) => Some("#c8e6c9"),
        Some(Mark::Failed) => Some("#ffcdd2"),
        Some(Mark::Caught) => Some("#ffe0b2"),
        Some(Mark::Retried) => Some("#fff176"),
        None => None,
    }
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// Mermaid flowchart text.
pub fn mermaid(graph: &Graph, marks: &HashMap<String, Mark>) -> String {
    let mut out = String::from("flowchart TD\n  start((Start))\n  end_((End))\n");
    let by_id: HashMap<&str, &Node> = graph.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let node_line = |n: &Node| -> String {
        let label = mermaid_text(&format!("{}<br/><small>{}</small>", n.name, n.kind));
        match n.kind.as_str() {
            "Choice" => format!("{}{{\"{label}\"}}", n.id),
            "Succeed" => format!("{}([\"{label}\"])", n.id),
            "Fail" => format!("{}[[\"{label}\"]]", n.id),
            "Wait" => format!("{}[(\"{label}\")]", n.id),
            "Pass" => format!("{}[/\"{label}\"/]", n.id),
            _ => format!("{}[\"{label}\"]", n.id),
        }
    };
    fn group(
        out: &mut String,
        g: &Group,
        by_id: &HashMap<&str, &Node>,
        node_line: &dyn Fn(&Node) -> String,
        depth: usize,
    ) {
        let pad = "  ".repeat(depth);
        let _ = writeln!(
            out,
            "{pad}subgraph {}[\"{}\"]",
            g.id,
            mermaid_text(&g.label)
        );
        for id in &g.nodes {
            if let Some(n) = by_id.get(id.as_str()) {
                let _ = writeln!(out, "{pad}  {}", node_line(n));
            }
        }
        for inner in &g.groups {
            group(out, inner, by_id, node_line, depth + 1);
        }
        let _ = writeln!(out, "{pad}end");
    }
    for id in &graph.top {
        if let Some(n) = by_id.get(id.as_str()) {
            let _ = writeln!(out, "  {}", node_line(n));
        }
    }
    for g in &graph.groups {
        group(&mut out, g, &by_id, &node_line, 1);
    }
    for e in &graph.edges {
        let to = if e.to == "end" { "end_" } else { &e.to };
        let arrow = match e.kind {
            EdgeKind::Catch => "-.->",
            EdgeKind::Branch => "==>",
            _ => "-->",
        };
        if e.label.is_empty() {
            let _ = writeln!(out, "  {} {arrow} {to}", e.from);
        } else {
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{}\"| {to}",
                e.from,
                mermaid_text(&e.label)
            );
        }
    }
    for (mark, class) in MARKS {
        let ids: Vec<&str> = graph
            .nodes
            .iter()
            .filter(|n| marks.get(&n.name) == Some(&mark))
            .map(|n| n.id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "  classDef {class} fill:{}",
            color(Some(mark)).unwrap_or("#fff")
        );
        let _ = writeln!(out, "  class {} {class}", ids.join(","));
    }
    out
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_node(n: &Node, fill: Option<&str>, flat: bool) -> String {
    let (shape, style) = match (n.kind.as_str(), flat) {
        ("Choice", false) => ("diamond", "filled"),
        ("Succeed", false) => ("doublecircle", "filled"),
        ("Fail", false) => ("doubleoctagon", "filled"),
        // layout-rs sizes circles to their label: boxes keep wide diagrams compact
        ("Succeed" | "Fail", true) => ("Mrecord", "filled"),
        ("Task", true) => ("Mrecord", "filled"),
        ("Task", false) => ("box", "rounded,filled"),
        (_, _) => ("box", "filled"),
    };
    let default = match n.kind.as_str() {
        "Succeed" => "#e8f5e9",
        "Fail" => "#ffebee",
        "Choice" => "#fff8e1",
        "Map" | "Parallel" => "#ede7f6",
        _ => "#ffffff",
    };
    format!(
        "{} [label=\"{}\\n{}\", shape={shape}, style=\"{style}\", fillcolor=\"{}\"]",
        n.id,
        dot_text(&n.name),
        n.kind,
        fill.unwrap_or(default)
    )
}

/// Graphviz DOT text (Map and Parallel as clusters). `flat`: without clusters
/// and with the shapes layout-rs draws, for SVG.
pub fn dot(graph: &Graph, marks: &HashMap<String, Mark>, flat: bool) -> String {
    let mut out = String::from("digraph workflow {\n  rankdir=TB;\n");
    if !flat {
        out.push_str("  compound=true;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    }
    out.push_str("  start [label=\"Start\", shape=circle, style=filled, fillcolor=\"#eeeeee\"];\n  end [label=\"End\", shape=doublecircle, style=filled, fillcolor=\"#eeeeee\"];\n");
    let by_id: HashMap<&str, &Node> = graph.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let fill = |n: &Node| color(marks.get(&n.name).copied());
    for id in &graph.top {
        if let Some(n) = by_id.get(id.as_str()) {
            let _ = writeln!(out, "  {};", dot_node(n, fill(n), flat));
        }
    }
    fn group(
        out: &mut String,
        g: &Group,
        by_id: &HashMap<&str, &Node>,
        marks: &HashMap<String, Mark>,
        flat: bool,
        depth: usize,
    ) {
        let pad = "  ".repeat(depth);
        if !flat {
            let _ = writeln!(
                out,
                "{pad}subgraph cluster_{} {{\n{pad}  label=\"{}\";\n{pad}  style=dashed;",
                g.id,
                dot_text(&g.label)
            );
        }
        for id in &g.nodes {
            if let Some(n) = by_id.get(id.as_str()) {
                let _ = writeln!(
                    out,
                    "{pad}  {};",
                    dot_node(n, color(marks.get(&n.name).copied()), flat)
                );
            }
        }
        for inner in &g.groups {
            group(out, inner, by_id, marks, flat, depth + 1);
        }
        if !flat {
            let _ = writeln!(out, "{pad}}}");
        }
    }
    for g in &graph.groups {
        group(&mut out, g, &by_id, marks, flat, 1);
    }
    for e in &graph.edges {
        let mut attrs = Vec::new();
        if !e.label.is_empty() {
            attrs.push(format!("label=\"{}\"", dot_text(&e.label)));
        }
        match e.kind {
            EdgeKind::Catch => attrs.push("style=dashed".into()),
            EdgeKind::Branch => attrs.push("style=bold".into()),
            _ => {}
        }
        if attrs.is_empty() {
            let _ = writeln!(out, "  {} -> {};", e.from, e.to);
        } else {
            let _ = writeln!(out, "  {} -> {} [{}];", e.from, e.to, attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}

/// A PNG of the SVG drawing (resvg), at twice its size for legibility.
pub fn png(svg_text: &str) -> Result<Vec<u8>, String> {
    let mut options = resvg::usvg::Options::default();
    let fonts = options.fontdb_mut();
    fonts.load_system_fonts();
    fonts.set_sans_serif_family("DejaVu Sans");
    let tree = resvg::usvg::Tree::from_str(svg_text, &options)
        .map_err(|e| format!("the SVG could not be read: {e}"))?;
    let size = tree.size().to_int_size();
    // twice the size for legibility, unless that makes a huge image
    let scale = if size.width() > 2500 { 1.0 } else { 2.0 };
    let mut pixmap = resvg::tiny_skia::Pixmap::new(
        (size.width() as f32 * scale) as u32,
        (size.height() as f32 * scale) as u32,
    )
    .ok_or("the drawing is empty")?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The label of a Choice state's one rule.
    fn label(mut rule: Value) -> String {
        rule["Next"] = json!("E");
        let language = if rule.get("Condition").is_some() {
            "JSONata"
        } else {
            "JSONPath"
        };
        let d = json!({"QueryLanguage": language, "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [rule]}, "E": {"Type": "Succeed"}}});
        let machine = Machine::from_value(&d).unwrap();
        let Kind::Choice(choice) = &machine.states[0].kind else {
            panic!("not a Choice");
        };
        rule_label(&choice.rules[0].condition)
    }

    #[test]
    fn rules_read_as_conditions() {
        assert_eq!(
            label(json!({"Variable": "$.n", "NumericGreaterThan": 10})),
            "$.n > 10"
        );
        assert_eq!(
            label(json!({"Variable": "$.s", "StringEqualsPath": "$.t"})),
            "$.s == $.t"
        );
        assert_eq!(
            label(json!({"Variable": "$.s", "StringMatches": "a*"})),
            "$.s matches 'a*'"
        );
        assert_eq!(
            label(
                json!({"And": [{"Variable": "$.a", "IsPresent": true}, {"Not": {"Variable": "$.b", "BooleanEquals": true}}]})
            ),
            "($.a IsPresent true and not $.b == true)"
        );
        assert_eq!(
            label(json!({"Condition": "{% $states.input.x > 1 %}"})),
            "$states.input.x > 1"
        );
    }

    #[test]
    fn history_marks_states() {
        let h = json!([
            {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "A"}},
            {"type": "TaskFailed"},
            {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "A"}},
            {"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "B"}},
            {"type": "PassStateExited", "stateExitedEventDetails": {"name": "B"}},
            {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "C"}},
            {"type": "TaskFailed"},
            {"type": "ExecutionFailed"}
        ]);
        let m = marks(&h);
        assert_eq!(m["A"], Mark::Caught);
        assert_eq!(m["B"], Mark::Succeeded);
        assert_eq!(m["C"], Mark::Failed);
    }
}
