//! Everything that writes to the terminal: messages and progress on stderr,
//! data (`--json`) on stdout. Other modules return values; commands hand them here.

use std::io::{IsTerminal, Write};

use console::style;
use miette::{GraphicalTheme, MietteHandlerOpts};

use crate::cli::{ColorChoice, GlobalArgs};

mod reporters;
pub use reporters::{Lines, Live, codegen_step};

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

#[derive(Clone)]
pub struct Printer {
    verbosity: Verbosity,
    json: bool,
    progress: bool,
    /// Whether a JSON document went to stdout already (then an error adds none).
    printed_data: std::cell::Cell<bool>,
}

impl Printer {
    pub fn from_global(global: &GlobalArgs) -> Self {
        let color = color_enabled(global.color, std::env::var_os("NO_COLOR").is_some());
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        let unicode = color || std::io::stderr().is_terminal();
        // Errors are rendered by miette; make them follow the same colour choice.
        let _ = miette::set_hook(Box::new(move |_| {
            let theme = match (color, unicode) {
                (true, _) => GraphicalTheme::unicode(),
                (false, true) => GraphicalTheme::unicode_nocolor(),
                (false, false) => GraphicalTheme::none(),
            };
            Box::new(
                MietteHandlerOpts::new()
                    .graphical_theme(theme)
                    .terminal_links(false)
                    .build(),
            )
        }));
        let verbosity = match (global.quiet, global.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, _) => Verbosity::Verbose,
        };
        Printer {
            verbosity,
            json: global.json,
            progress: !global.no_progress && std::io::stderr().is_terminal(),
            printed_data: std::cell::Cell::new(false),
        }
    }

    /// Whether the result goes to stdout as JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Whether only errors are printed (`-q`).
    pub fn quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    /// Whether live progress may be drawn (a TTY, and not `--no-progress`).
    pub fn progress(&self) -> bool {
        self.progress
    }

    /// A heading for a step that succeeded.
    pub fn success(&self, message: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!("{} {}", style("✔").green().bold(), message.as_ref());
        }
    }

    /// An ordinary message.
    pub fn info(&self, message: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!("{}", message.as_ref());
        }
    }

    /// Detail shown with `-v`.
    pub fn detail(&self, message: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Verbose {
            eprintln!("  {}", style(message.as_ref()).dim());
        }
    }

    /// What a question is about: shown even with `-q`, as the question is.
    pub fn notice(&self, message: impl AsRef<str>) {
        eprintln!("{}", message.as_ref());
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!("{} {}", style("warning:").yellow().bold(), message.as_ref());
        }
    }

    /// A command in a list of next steps.
    pub fn command_hint(&self, command: &str, why: &str) {
        if self.verbosity >= Verbosity::Normal {
            if why.is_empty() {
                eprintln!("  {}", style(command).cyan());
            } else {
                // a long command keeps two spaces before its reason
                let pad = 28usize.saturating_sub(console::measure_text_width(command)) + 1;
                eprintln!(
                    "  {}{}{}",
                    style(command).cyan(),
                    " ".repeat(pad.max(2)),
                    style(why).dim()
                );
            }
        }
    }

    /// Errors are always printed, even with `-q`.
    /// Print an error: plain words first; its code (`hoist::fs`) only with `-v`.
    /// With `--json`, the error is also an object on stdout (`{"error":
    /// {"message", "code", "help"}}`), so a script reading stdout sees it,
    /// unless the command's own JSON (a report that holds the failure) went
    /// there already: stdout stays one document.
    /// With `-v`, an AWS call's whole SDK context follows the message.
    pub fn error(&self, err: crate::Error) {
        use miette::Diagnostic;
        let coded = self.verbosity >= Verbosity::Verbose;
        if self.json && !self.printed_data.get() {
            self.data(&serde_json::json!({
                "error": {
                    "message": err.to_string(),
                    "code": err.code().map(|c| c.to_string()),
                    "help": err.help().map(|h| h.to_string()),
                }
            }));
        }
        let detail = coded.then(|| err.detail().map(str::to_string)).flatten();
        self.report(&miette::Report::new(Plain { err, coded }));
        if let Some(detail) = detail {
            eprintln!("  SDK detail: {detail}");
        }
    }

    /// Print a diagnostic (an error, or a warning with its place in a file).
    /// Without `-v`, the codes of the diagnostics it relates (each problem of
    /// a schema, each finding of a definition) are left out too.
    pub fn report(&self, report: &miette::Report) {
        let text = format!("{report:?}");
        if self.verbosity >= Verbosity::Verbose {
            eprintln!("{text}");
        } else {
            eprintln!("{}", without_codes(&text));
        }
    }

    /// Print a JSON document on stdout.
    pub fn data(&self, value: &serde_json::Value) {
        self.printed_data.set(true);
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, value);
        let _ = writeln!(out);
    }
}

/// A live view of a deploy: one line per resource, updated in place with its
/// latest status. Only used on a terminal with progress enabled.
pub struct LiveView {
    bars: indicatif::MultiProgress,
    lines: std::sync::Mutex<std::collections::BTreeMap<String, indicatif::ProgressBar>>,
}

impl Default for LiveView {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveView {
    pub fn new() -> Self {
        LiveView {
            bars: indicatif::MultiProgress::with_draw_target(
                indicatif::ProgressDrawTarget::stderr(),
            ),
            lines: Default::default(),
        }
    }

    /// A message above the live lines.
    pub fn message(&self, message: &str) {
        let _ = self.bars.println(message);
    }

    /// Show `status` on the line of `stack`/`resource`.
    pub fn update(
        &self,
        stack: &str,
        resource: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) {
        let key = format!("{stack}/{resource}");
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let bar = lines.entry(key).or_insert_with(|| {
            let bar = self.bars.add(indicatif::ProgressBar::new_spinner());
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner:.cyan} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        let reason = reason
            .filter(|r| !r.is_empty())
            .map(|r| format!(" {}", style(r).dim()))
            .unwrap_or_default();
        let text = format!(
            "{stack:<16} {resource:<32} {:<28}{reason}",
            status_style(status)
        );
        if status.ends_with("_IN_PROGRESS") {
            bar.set_message(text);
        } else {
            let mark = if status.ends_with("_FAILED") || status.contains("ROLLBACK") {
                style("✖").red().to_string()
            } else {
                style("✔").green().to_string()
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template("{prefix} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_prefix(mark);
            bar.finish_with_message(format!("{text} {}", style(resource_type).dim()));
        }
    }

    /// Leave the final lines on screen.
    pub fn finish(&self) {
        for bar in self
            .lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            if !bar.is_finished() {
                bar.finish();
            }
        }
    }
}

fn status_style(status: &str) -> String {
    if status.ends_with("_FAILED") || status.contains("ROLLBACK") {
        style(status).red().to_string()
    } else if status.ends_with("_COMPLETE") {
        style(status).green().to_string()
    } else {
        style(status).yellow().to_string()
    }
}

fn color_enabled(choice: ColorChoice, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
    }
}

/// A panic is a bug: say so plainly, and exit with the panic code (101), not 1.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        eprintln!(
            "error: hoist crashed{location}: {payload}\n\
             This is a bug in hoist, not in your project. Please report it with the command you ran."
        );
    }));
}

/// A rendered report without the lines that only name a code (`hoist::schema`,
/// `Error: hoist::schema`, in colour or not), nor the blank line after each.
fn without_codes(text: &str) -> String {
    let code_line = |line: &str| {
        let plain = console::strip_ansi_codes(line);
        let rest = plain.trim();
        let rest = ["Error: ", "Warning: ", "Advice: "]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        rest.starts_with("hoist::")
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':')
    };
    let mut out = Vec::new();
    let mut skip_blank = false;
    for line in text.lines() {
        if code_line(line) {
            skip_blank = true;
            continue;
        }
        if skip_blank && line.trim().is_empty() {
            skip_blank = false;
            continue;
        }
        skip_blank = false;
        out.push(line);
    }
    out.join("\n")
}

/// An error as it is shown: the same diagnostic, with its code left out
/// unless asked for (`-v`); codes are for bug reports, not for reading.
struct Plain {
    err: crate::Error,
    coded: bool,
}

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.err, f)
    }
}

impl std::fmt::Display for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.err, f)
    }
}

impl std::error::Error for Plain {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.err)
    }
}

impl miette::Diagnostic for Plain {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        if self.coded { self.err.code() } else { None }
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.err.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.err.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.err.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.err.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.err.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        self.err.related()
    }
    fn diagnostic_source(&self) -> Option<&dyn miette::Diagnostic> {
        self.err.diagnostic_source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_left_out_of_reports() {
        let text = "hoist::schema\n\n  x two errors\n\nError: hoist::schema\n\n  x `@key` is v1\n  help: use @primaryKey";
        assert_eq!(
            without_codes(text),
            "  x two errors\n\n  x `@key` is v1\n  help: use @primaryKey"
        );
        // a message that mentions a code in a sentence stays
        assert_eq!(
            without_codes("  x see hoist::fs here"),
            "  x see hoist::fs here"
        );
    }

    #[test]
    fn colour_follows_flag_then_no_color() {
        assert!(color_enabled(ColorChoice::Always, true));
        assert!(!color_enabled(ColorChoice::Never, false));
        assert!(!color_enabled(ColorChoice::Auto, true));
    }
}
