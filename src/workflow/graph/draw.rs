//! The SVG drawing: a compound layout in which a Map or Parallel state is a
//! box holding its branches, laid out by layout-rs level by level.
//!
//! layout-rs (the kept Rust crate for layered graph layout) knows no clusters,
//! and no maintained Rust crate lays out nested boxes. So each machine (the
//! top level, a Map's processor, each Parallel branch) is laid out on its own,
//! innermost first; in the enclosing machine a Map or Parallel state is one
//! node the size of its laid-out branches, so the layout keeps every other
//! state and every edge (long edges become layout-rs's connector nodes) out
//! of it. The inner drawings are then replayed into their box. Boxes never
//! overlap, edges never cross a box they do not enter, and edge labels follow
//! their edges (layout-rs writes them along the edge's path).

use std::collections::HashMap;

use layout::adt::dag::NodeHandle;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::{EdgeKind, Graph, Group, MARKS, Mark, Node, color};

/// Space around a box's branches, and between branches (px).
const PAD: f64 = 16.0;
/// Height of a Map's or Parallel's title, and of a branch's label (px).
const TITLE: f64 = 30.0;
const LABEL: f64 = 22.0;
const FONT: usize = 14;
const SMALL: usize = 12;

/// One recorded draw call of layout-rs's backend interface.
#[derive(Debug, Clone)]
enum Op {
    Rect {
        xy: Point,
        size: Point,
        look: StyleAttr,
        props: Option<String>,
        clip: Option<ClipHandle>,
    },
    Line {
        start: Point,
        stop: Point,
        look: StyleAttr,
        props: Option<String>,
    },
    Circle {
        xy: Point,
        size: Point,
        look: StyleAttr,
        props: Option<String>,
    },
    Text {
        xy: Point,
        text: String,
        look: StyleAttr,
    },
    Arrow {
        path: Vec<(Point, Point)>,
        dashed: bool,
        head: (bool, bool),
        look: StyleAttr,
        props: Option<String>,
        text: String,
    },
    Clip {
        xy: Point,
        size: Point,
        rounded: usize,
    },
}

/// A drawing kept as draw calls, so that it can be placed anywhere later;
/// with the area it covers.
#[derive(Debug, Clone)]
struct Drawing {
    ops: Vec<Op>,
    min: Point,
    max: Point,
    clips: usize,
}

impl Drawing {
    fn new() -> Drawing {
        Drawing {
            ops: Vec::new(),
            min: Point::new(f64::MAX, f64::MAX),
            max: Point::new(f64::MIN, f64::MIN),
            clips: 0,
        }
    }

    fn cover(&mut self, p: Point) {
        self.min = Point::new(self.min.x.min(p.x), self.min.y.min(p.y));
        self.max = Point::new(self.max.x.max(p.x), self.max.y.max(p.y));
    }

    fn size(&self) -> Point {
        if self.ops.is_empty() {
            return Point::new(0.0, 0.0);
        }
        Point::new(self.max.x - self.min.x, self.max.y - self.min.y)
    }

    /// Draw every call again on `target`, moved so that this drawing's top
    /// left corner is at `at`.
    fn replay(&self, target: &mut dyn RenderBackend, at: Point) {
        let (dx, dy) = (at.x - self.min.x, at.y - self.min.y);
        let shift = |p: Point| Point::new(p.x + dx, p.y + dy);
        let mut clips: HashMap<ClipHandle, ClipHandle> = HashMap::new();
        for op in &self.ops {
            match op {
                Op::Rect {
                    xy,
                    size,
                    look,
                    props,
                    clip,
                } => target.draw_rect(
                    shift(*xy),
                    *size,
                    look,
                    props.clone(),
                    clip.and_then(|c| clips.get(&c).copied()),
                ),
                Op::Line {
                    start,
                    stop,
                    look,
                    props,
                } => target.draw_line(shift(*start), shift(*stop), look, props.clone()),
                Op::Circle {
                    xy,
                    size,
                    look,
                    props,
                } => target.draw_circle(shift(*xy), *size, look, props.clone()),
                Op::Text { xy, text, look } => target.draw_text(shift(*xy), text, look),
                Op::Arrow {
                    path,
                    dashed,
                    head,
                    look,
                    props,
                    text,
                } => {
                    let path: Vec<(Point, Point)> =
                        path.iter().map(|(a, b)| (shift(*a), shift(*b))).collect();
                    target.draw_arrow(&path, *dashed, *head, look, props.clone(), text);
                }
                Op::Clip { xy, size, rounded } => {
                    let new = target.create_clip(shift(*xy), *size, *rounded);
                    clips.insert(clips.len(), new);
                }
            }
        }
    }
}

impl RenderBackend for Drawing {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        properties: Option<String>,
        clip: Option<ClipHandle>,
    ) {
        self.cover(xy);
        self.cover(Point::new(xy.x + size.x, xy.y + size.y));
        self.ops.push(Op::Rect {
            xy,
            size,
            look: look.clone(),
            props: properties,
            clip,
        });
    }

    fn draw_line(&mut self, start: Point, stop: Point, look: &StyleAttr, props: Option<String>) {
        self.cover(start);
        self.cover(stop);
        self.ops.push(Op::Line {
            start,
            stop,
            look: look.clone(),
            props,
        });
    }

    fn draw_circle(&mut self, xy: Point, size: Point, look: &StyleAttr, props: Option<String>) {
        self.cover(Point::new(xy.x - size.x / 2.0, xy.y - size.y / 2.0));
        self.cover(Point::new(xy.x + size.x / 2.0, xy.y + size.y / 2.0));
        self.ops.push(Op::Circle {
            xy,
            size,
            look: look.clone(),
            props,
        });
    }

    fn draw_text(&mut self, xy: Point, text: &str, look: &StyleAttr) {
        // layout-rs sometimes gives an edge label its default style
        // (`StyleAttr::simple()`, 15 px) instead of the edge's: labels are 12 px
        let label;
        let look = if look.font_size == 15 && look.line_width == 2 {
            label = StyleAttr {
                font_size: SMALL,
                ..look.clone()
            };
            &label
        } else {
            look
        };
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
        let half = widest * look.font_size as f64 * 0.3;
        self.cover(Point::new(xy.x - half, xy.y));
        self.cover(Point::new(xy.x + half, xy.y));
        self.ops.push(Op::Text {
            xy,
            text: text.to_string(),
            look: look.clone(),
        });
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        dashed: bool,
        head: (bool, bool),
        look: &StyleAttr,
        props: Option<String>,
        text: &str,
    ) {
        for (a, _) in path {
            self.cover(*a);
        }
        self.ops.push(Op::Arrow {
            path: path.to_vec(),
            dashed,
            head,
            look: look.clone(),
            props,
            text: text.to_string(),
        });
    }

    fn create_clip(&mut self, xy: Point, size: Point, rounded: usize) -> ClipHandle {
        self.ops.push(Op::Clip { xy, size, rounded });
        self.clips += 1;
        self.clips - 1
    }
}

fn look(line: &str, fill: Option<&str>, rounded: usize, font: usize) -> StyleAttr {
    StyleAttr::new(Color::fast(line), 1, fill.map(Color::fast), rounded, font)
}

/// The fill of a state: its execution mark's colour, else its type's.
fn fill(node: &Node, marks: &HashMap<String, Mark>) -> &'static str {
    color(marks.get(&node.name).copied()).unwrap_or(match node.kind.as_str() {
        "Succeed" => "#e8f5e9",
        "Fail" => "#ffebee",
        "Choice" => "#fff8e1",
        "Map" | "Parallel" => "#f6f3fb",
        _ => "#ffffff",
    })
}

/// `data-box` names a drawn box for the tests that check the geometry.
fn box_props(kind: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c == '"' || c == '<' || c == '&' {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("data-box=\"{kind}:{name}\"")
}

/// A Map or Parallel state in a layout: its node, and its branches' drawings.
struct Compound<'a> {
    handle: NodeHandle,
    node: &'a Node,
    branches: Vec<(&'a Group, Drawing)>,
}

/// Lay out one machine: `ids` its states, `groups` the branches of its Map
/// and Parallel states; with Start and End when it is the top level.
fn level(
    graph: &Graph,
    by_id: &HashMap<&str, &Node>,
    ids: &[String],
    groups: &[Group],
    marks: &HashMap<String, Mark>,
    top: bool,
) -> Drawing {
    let dir = Orientation::TopToBottom;
    let mut visual = VisualGraph::new(dir);
    let mut handles: HashMap<&str, NodeHandle> = HashMap::new();
    // the branches inside each Map or Parallel, laid out first
    let mut inside: Vec<Compound> = Vec::new();
    if top {
        let start = ShapeKind::Circle("Start".into());
        let size = get_shape_size(dir, &start, FONT, true);
        let h = visual.add_node(Element::create(
            start,
            look("#616161", Some("#eeeeee"), 0, FONT),
            dir,
            size,
        ));
        handles.insert("start", h);
        let end = ShapeKind::DoubleCircle("End".into());
        let size = get_shape_size(dir, &end, FONT, true);
        let h = visual.add_node(Element::create(
            end,
            look("#616161", Some("#eeeeee"), 0, FONT),
            dir,
            size,
        ));
        handles.insert("end", h);
    }
    for id in ids {
        let Some(node) = by_id.get(id.as_str()) else {
            continue;
        };
        let owned: Vec<&Group> = groups.iter().filter(|g| &g.owner == id).collect();
        if owned.is_empty() {
            let shape = ShapeKind::Box(format!("{}\n{}", node.name, node.kind));
            let size = get_shape_size(dir, &shape, FONT, false);
            let rounded = if node.kind == "Task" { 10 } else { 0 };
            let h = visual.add_node(Element::create_with_properties(
                shape,
                look("#455a64", Some(fill(node, marks)), rounded, FONT),
                dir,
                size,
                box_props("state", &node.name),
            ));
            handles.insert(id.as_str(), h);
            continue;
        }
        let drawn: Vec<(&Group, Drawing)> = owned
            .into_iter()
            .map(|g| (g, level(graph, by_id, &g.nodes, &g.groups, marks, false)))
            .collect();
        let mut width = PAD;
        let mut height: f64 = 0.0;
        for (g, d) in &drawn {
            let s = d.size();
            let label_w = branch_label(g, node).chars().count() as f64 * SMALL as f64 * 0.6;
            width += s.x.max(label_w) + 2.0 * PAD + PAD;
            height = height.max(s.y + LABEL + 2.0 * PAD);
        }
        let title_w = title(node).chars().count() as f64 * FONT as f64 * 0.6 + 2.0 * PAD;
        let size = Point::new(width.max(title_w), TITLE + height + PAD);
        let h = visual.add_node(Element::create_with_properties(
            ShapeKind::Box(String::new()),
            look("#7e57c2", Some(fill(node, marks)), 10, FONT),
            dir,
            size,
            box_props("state", &node.name),
        ));
        handles.insert(id.as_str(), h);
        inside.push(Compound {
            handle: h,
            node,
            branches: drawn,
        });
    }
    for e in &graph.edges {
        if e.kind == EdgeKind::Branch {
            continue;
        }
        let (Some(&from), Some(&to)) = (handles.get(e.from.as_str()), handles.get(e.to.as_str()))
        else {
            continue;
        };
        let style = match e.kind {
            EdgeKind::Catch => LineStyleKind::Dashed,
            _ => LineStyleKind::Normal,
        };
        let line = match e.kind {
            EdgeKind::Catch => "#e65100",
            _ => "#37474f",
        };
        let arrow = Arrow::new(
            LineEndKind::None,
            LineEndKind::Arrow,
            style,
            &e.label,
            &look(line, None, 0, SMALL),
            &None,
            &None,
        );
        visual.add_edge(arrow, from, to);
    }
    let mut drawing = Drawing::new();
    visual.do_it(false, false, false, &mut drawing);
    // each Map's or Parallel's branches into its box, side by side
    for Compound {
        handle,
        node,
        branches,
    } in inside
    {
        let (tl, br) = visual.pos(handle).bbox(false);
        drawing.draw_text(
            Point::new((tl.x + br.x) / 2.0, tl.y + TITLE / 2.0),
            &title(node),
            &look("#4527a0", None, 0, FONT),
        );
        let mut x = tl.x + PAD;
        let y = tl.y + TITLE;
        for (g, d) in branches {
            let s = d.size();
            let label = branch_label(g, node);
            let label_w = label.chars().count() as f64 * SMALL as f64 * 0.6;
            let w = s.x.max(label_w) + 2.0 * PAD;
            let bh = br.y - PAD - y;
            drawing.draw_rect(
                Point::new(x, y),
                Point::new(w, bh),
                &look("#9575cd", Some("#ffffff"), 8, SMALL),
                Some(format!(
                    "stroke-dasharray=\"6 4\" {}",
                    box_props("branch", &g.label)
                )),
                None,
            );
            drawing.draw_text(
                Point::new(x + w / 2.0, y + LABEL / 2.0 + 2.0),
                &label,
                &look("#5e35b1", None, 0, SMALL),
            );
            d.replay(
                &mut drawing,
                Point::new(x + (w - s.x) / 2.0, y + LABEL + PAD),
            );
            x += w + PAD;
        }
    }
    drawing
}

fn title(node: &Node) -> String {
    format!("{} ({})", node.name, node.kind)
}

/// A branch's label without its state's name (`each item`, `branch 2`).
fn branch_label(g: &Group, owner: &Node) -> String {
    g.label
        .strip_prefix(&format!("{}: ", owner.name))
        .unwrap_or(&g.label)
        .to_string()
}

/// The legend of the execution colours, under the drawing.
fn legend(drawing: &mut Drawing, marks: &HashMap<String, Mark>) {
    let used: Vec<(Mark, &str)> = MARKS
        .into_iter()
        .filter(|(m, _)| marks.values().any(|v| v == m))
        .collect();
    if used.is_empty() {
        return;
    }
    let mut x = drawing.min.x;
    let y = drawing.max.y + 24.0;
    for (mark, name) in used {
        drawing.draw_rect(
            Point::new(x, y),
            Point::new(18.0, 14.0),
            &look("#455a64", color(Some(mark)), 3, SMALL),
            Some(box_props("legend", name)),
            None,
        );
        let w = name.chars().count() as f64 * SMALL as f64 * 0.6;
        drawing.draw_text(
            Point::new(x + 26.0 + w / 2.0, y + 7.0),
            name,
            &look("#263238", None, 0, SMALL),
        );
        x += 26.0 + w + 22.0;
    }
}

/// An SVG drawing of the graph (Map and Parallel states as boxes holding
/// their branches), with the states an execution marked coloured and a
/// legend of the colours used.
pub fn svg(graph: &Graph, marks: &HashMap<String, Mark>) -> Result<String, String> {
    use layout::backends::svg::SVGWriter;
    let by_id: HashMap<&str, &Node> = graph.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut drawing = level(graph, &by_id, &graph.top, &graph.groups, marks, true);
    if drawing.ops.is_empty() {
        return Err("there is nothing to draw".into());
    }
    legend(&mut drawing, marks);
    let mut writer = SVGWriter::new();
    // the canvas covers the whole drawing, labels included (SVGWriter sizes
    // it by the shapes' corners, and cuts centred text off at the edge)
    let size = drawing.size();
    writer.draw_rect(
        Point::new(0.0, 0.0),
        Point::new(size.x + 19.0, size.y + 19.0),
        &StyleAttr::new(
            Color::transparent(),
            0,
            Some(Color::transparent()),
            0,
            SMALL,
        ),
        None,
        None,
    );
    drawing.replay(&mut writer, Point::new(12.0, 12.0));
    // a sans-serif face that PNG rendering finds too
    Ok(writer.finalize().replace(
        "font-family: Times, serif;",
        "font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif;",
    ))
}
