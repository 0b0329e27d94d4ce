//! A state machine parsed once into a typed tree: the machine, its states as an
//! enum of the eight types, the data-flow fields of each query language,
//! retriers, catchers and Choice rules, with every path, reference path,
//! payload template and intrinsic function compiled ([`super::paths`],
//! [`super::intrinsics`], [`payload`]). Machines, states and Choice rules keep
//! the JSON pointer they were read from, for what reports on them.
//!
//! The tree is made from a definition that [`super::validate`] accepted
//! ([`Machine::from_definition`]): `validate` reads the JSON itself because it
//! must report every problem of a definition that is not a machine yet; `run`
//! and `graph` read only the tree. Field names and defaults follow the Amazon
//! States Language specification (states-language.net) and the Step Functions
//! developer guide ("Processing input and output", "Handling errors",
//! "Transforming data with JSONata").

use serde_json::Value;

use super::StatesError;
use super::intrinsics::Call;
use super::paths::{Path, ReferencePath};

mod lower;
mod payload;

pub use lower::LowerError;
pub use payload::{Jsonata, Template};

/// The query language of a state: `JSONPath` (the default) or `JSONata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

/// A state machine: the whole definition, a Parallel branch or a Map's
/// `ItemProcessor` (or the older `Iterator`).
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// Where it is in the definition (`""` for the top level).
    pub pointer: String,
    pub start_at: String,
    /// The states in the order they are written.
    pub states: Vec<State>,
    /// The machine's own `QueryLanguage`, else its parent's, else JSONPath.
    pub query_language: QueryLanguage,
    /// The execution's time limit (`TimeoutSeconds`, top level only).
    pub timeout_seconds: Option<f64>,
    /// The definition reads the execution's input from the context object
    /// (`$$.Execution.Input`, `$states.context`, `$$`): only then is it copied
    /// into each state's context (top level only).
    pub reads_execution_input: bool,
    /// State name to its place in `states`.
    index: std::collections::HashMap<String, usize>,
}

impl Machine {
    /// The state named `name`.
    pub fn state(&self, name: &str) -> Option<&State> {
        self.index.get(name).map(|i| &self.states[*i])
    }
}

/// One state: what every type has, and its type's own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub name: String,
    pub pointer: String,
    /// The state's `QueryLanguage`, else its machine's.
    pub query_language: QueryLanguage,
    /// `Next`, or the end of its machine (`End: true`; Choice, Succeed and Fail
    /// states say where they go by themselves and have `End` here).
    pub transition: Transition,
    /// Its input and output processing, per query language.
    pub flow: Flow,
    pub kind: Kind,
}

impl State {
    /// The type as definitions write it (`Task`, `Map`, ...), as history events name it.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Pass { .. } => "Pass",
            Kind::Task(_) => "Task",
            Kind::Choice(_) => "Choice",
            Kind::Wait(_) => "Wait",
            Kind::Succeed => "Succeed",
            Kind::Fail { .. } => "Fail",
            Kind::Parallel(_) => "Parallel",
            Kind::Map(_) => "Map",
        }
    }

    /// The `Next` state, if it goes on.
    pub fn next(&self) -> Option<&str> {
        match &self.transition {
            Transition::Next(n) => Some(n),
            Transition::End => None,
        }
    }

    /// Does the state end its machine by itself (`End: true`, Succeed, Fail)?
    pub fn ends(&self) -> bool {
        match self.kind {
            Kind::Succeed | Kind::Fail { .. } => true,
            Kind::Choice(_) => false,
            _ => self.transition == Transition::End,
        }
    }

    /// Its retriers and catchers (Task, Parallel and Map states have them).
    pub fn errors(&self) -> Option<&ErrorHandling> {
        match &self.kind {
            Kind::Task(t) => Some(&t.errors),
            Kind::Parallel(p) => Some(&p.errors),
            Kind::Map(m) => Some(&m.errors),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Next(String),
    End,
}

/// Input and output processing.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    JsonPath(Box<JsonPathFlow>),
    Jsonata(Box<JsonataFlow>),
}

/// A path field that may be `null` (`InputPath`, `OutputPath`): absent is `$`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathField {
    /// Absent: the whole value.
    Whole,
    /// `null`: an empty object.
    Null,
    Path(Path),
}

/// `ResultPath`: where the result goes in the input.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultPath {
    /// Absent: the result replaces the input.
    Replace,
    /// `null`: the result is discarded, the input passes on.
    Discard,
    Path(ReferencePath),
}

/// JSONPath's fields, applied in the order the service applies them:
/// `InputPath`, `Parameters` (the work's input), the work, `ResultSelector`,
/// `Assign`, `ResultPath`, `OutputPath`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPathFlow {
    pub input_path: PathField,
    /// A Task's or Parallel's input, a Pass state's result (a Map's
    /// `Parameters` is its item selector: [`MapState::item_selector`]).
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub output_path: PathField,
    pub assign: Option<Template>,
}

/// JSONata's fields: `Arguments` (the work's input), `Output`, `Assign`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonataFlow {
    pub arguments: Option<Jsonata>,
    pub output: Option<Jsonata>,
    pub assign: Option<Jsonata>,
}

/// A state's type and its own fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `Result`: a JSONPath Pass state's fixed result.
    Pass {
        result: Option<Value>,
    },
    Task(Box<TaskState>),
    Choice(ChoiceState),
    Wait(Wait),
    Succeed,
    /// `Error`/`Cause` (or their `Path`s); absent, the execution fails with
    /// no error and no cause, as the service's does.
    Fail {
        error: Option<Operand>,
        cause: Option<Operand>,
    },
    Parallel(ParallelState),
    Map(Box<MapState>),
}

/// A value a state reads: given, at a path, from an intrinsic function, or a
/// JSONata template.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(Path),
    Intrinsic(Call),
    Jsonata(Jsonata),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskState {
    pub resource: String,
    /// `TimeoutSeconds` (a number, or JSONata) or `TimeoutSecondsPath`.
    pub timeout: Option<Operand>,
    /// `HeartbeatSeconds` or `HeartbeatSecondsPath`.
    pub heartbeat: Option<Operand>,
    pub errors: ErrorHandling,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceState {
    pub rules: Vec<ChoiceRule>,
    pub default: Option<String>,
}

/// A top-level Choice rule: its test, where it goes, and (JSONata, or a
/// JSONPath rule's `Assign`) what it outputs and assigns instead of the state's.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRule {
    pub pointer: String,
    pub condition: Condition,
    pub next: String,
    pub assign: Option<Assign>,
    /// A JSONata rule's `Output`.
    pub output: Option<Jsonata>,
}

/// `Assign` in either language.
#[derive(Debug, Clone, PartialEq)]
pub enum Assign {
    JsonPath(Template),
    Jsonata(Jsonata),
}

/// A Choice rule's test, in its state's query language.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    JsonPath(Rule),
    /// A JSONata rule's `Condition`: `true`/`false`, or an expression that must
    /// give a boolean (absent: never matches).
    Jsonata(Jsonata),
}

/// A JSONPath Choice rule: a boolean expression (`And`, `Or`, `Not`) or a
/// data-test expression (`Variable` and one comparison operator).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    /// `Variable` (else `$`) and its comparison; a rule without one never matches.
    Test {
        variable: Path,
        comparison: Option<Comparison>,
    },
}

/// A comparison operator of a JSONPath Choice rule and its operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// `String…`, `Numeric…`, `Timestamp…`: ordered comparisons, and `BooleanEquals`.
    Compare {
        kind: CompareKind,
        order: Order,
        /// The value, or (the `…Path` forms) a path to it.
        operand: Expected,
        /// The operator as written, without `Path`, for messages.
        operator: String,
    },
    /// `StringMatches`, with `*` wildcards (`\*` a literal star).
    Matches(Expected),
    /// `IsNull`, `IsPresent`, `IsNumeric`, `IsString`, `IsBoolean`, `IsTimestamp`:
    /// is the value so, compared with the given boolean.
    Is(IsKind, bool),
}

/// What a comparison compares with: a value, or (`StringEqualsPath` and the
/// other `…Path` forms) the value at a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Value(Value),
    Path(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareKind {
    String,
    Numeric,
    Timestamp,
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsKind {
    Null,
    Present,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

/// A Wait state's `Seconds`/`SecondsPath` or `Timestamp`/`TimestampPath`.
#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    Seconds(Operand),
    Timestamp(Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParallelState {
    pub branches: Vec<Machine>,
    pub errors: ErrorHandling,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapState {
    /// `ItemProcessor`, or the older `Iterator`.
    pub processor: Machine,
    /// JSONPath's `ItemsPath` or JSONata's `Items`; absent: the input.
    pub items: Option<Operand>,
    /// A distributed Map's `ItemReader`: the S3 call its items come from.
    pub item_reader: Option<S3Access>,
    /// A distributed Map's `ResultWriter` with a `Resource`: the S3 call its
    /// children's results are exported with (one with only `WriterConfig`
    /// exports nothing: absent).
    pub result_writer: Option<S3Access>,
    /// `Label`, or the state's name: what names its map runs.
    pub label: Option<String>,
    /// `ItemSelector` (or JSONPath's older `Parameters`): each iteration's input.
    pub item_selector: Option<Selector>,
    pub item_batcher: Option<ItemBatcher>,
    /// `MaxConcurrency`: 0 is no limit.
    /// `MaxConcurrency` (or its `Path`, or a JSONata expression): an integer
    /// ≥ 0, 0 or absent for no limit; checked when the state runs.
    pub max_concurrency: Option<Operand>,
    /// `ToleratedFailureCount` (or its `Path`): an integer ≥ 0.
    pub tolerated_failure_count: Option<Operand>,
    /// `ToleratedFailurePercentage` (or its `Path`): a number from 0 to 100.
    pub tolerated_failure_percentage: Option<Operand>,
    pub errors: ErrorHandling,
}

/// A payload in either language.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    JsonPath(Template),
    Jsonata(Jsonata),
}

/// A distributed Map's `ItemReader` or `ResultWriter` ("ItemReader (Map)",
/// "ResultWriter (Map)", Step Functions developer guide).
#[derive(Debug, Clone, PartialEq)]
pub struct S3Access {
    /// `Resource`: `arn:aws:states:::s3:listObjectsV2`, `...:s3:getObject`,
    /// `...:s3:putObject`.
    pub resource: String,
    /// JSONPath's `Parameters` or JSONata's `Arguments` (`Bucket`, `Prefix`,
    /// `Key`), evaluated against the Map's input.
    pub arguments: Option<Selector>,
    /// `ReaderConfig` or `WriterConfig`, as written.
    pub config: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch`; absent: every item in one batch.
    pub max_items: Option<u64>,
    /// `BatchInput`, given to every batch: a payload template (JSONPath)
    /// or JSONata, evaluated against the Map's input.
    pub batch_input: Option<Selector>,
}

/// `Retry` and `Catch`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorHandling {
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// Does an `ErrorEquals` list match the error?
pub fn error_matches(error_equals: &[StatesError], raised: &StatesError) -> bool {
    error_equals.iter().any(|e| e.matches(raised))
}

/// A retrier, with the service's defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    pub error_equals: Vec<StatesError>,
    /// `IntervalSeconds`, default 1.
    pub interval_seconds: f64,
    /// `MaxAttempts`, default 3 (0: never retried).
    pub max_attempts: u32,
    /// `BackoffRate`, default 2.0.
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`: no delay is longer.
    pub max_delay_seconds: Option<f64>,
    /// `JitterStrategy: FULL`: each delay is drawn from zero to itself.
    pub full_jitter: bool,
}

/// A catcher: where an error goes, and what the state outputs then.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    pub error_equals: Vec<StatesError>,
    pub next: String,
    /// JSONPath: where the error output goes in the state's input.
    pub result_path: ResultPath,
    pub assign: Option<Assign>,
    /// JSONata: the state's output (default: the error output).
    pub output: Option<Jsonata>,
}
