//! The terminal side of the core's reporting seams: the deploy engine's
//! [`Reporter`] as plain lines or a live per-resource view, and one line on
//! what a codegen run did. The core never prints; it calls these.

use crate::codegen::CodegenRun;
use crate::deploy::engine::Reporter;

use super::{LiveView, Printer};

/// Plain lines, for logs and pipes (and `--no-progress`). With `events_verbose`,
/// resource events are shown only with `-v` (for commands where they are secondary).
pub struct Lines<'a> {
    pub printer: &'a Printer,
    pub events_verbose: bool,
}

impl Reporter for Lines<'_> {
    fn step(&self, message: &str) {
        self.printer.info(message);
    }

    fn detail(&self, message: &str) {
        self.printer.detail(message);
    }

    fn event(
        &self,
        stack: &str,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) {
        let reason = reason
            .filter(|r| !r.is_empty())
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        let line = format!("  {stack:<16} {status:<28} {logical_id} ({resource_type}){reason}");
        if self.events_verbose {
            self.printer.detail(line);
        } else {
            self.printer.info(line);
        }
    }
}

/// The live per-resource view, on a terminal; its last lines stay on screen when dropped.
pub struct Live(LiveView);

impl Live {
    pub fn new() -> Self {
        Live(LiveView::new())
    }
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.finish();
    }
}

impl Reporter for Live {
    fn step(&self, message: &str) {
        self.0.message(message);
    }

    /// Details are not drawn in the live view: it shows each resource's latest
    /// status, and `-v` output goes with plain lines (`--no-progress`).
    fn detail(&self, _message: &str) {}

    fn event(
        &self,
        stack: &str,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) {
        self.0
            .update(stack, logical_id, resource_type, status, reason);
    }
}

/// One line on what codegen did, for `synth` and `push`.
pub fn codegen_step(run: &CodegenRun, printer: &Printer) {
    if run.written.is_empty() {
        printer.detail(format!("codegen: `{}` is up to date", run.dir));
    } else {
        printer.info(format!(
            "Generated TypeScript for api `{}` in {} ({} file{} changed)",
            run.api,
            run.dir,
            run.written.len(),
            if run.written.len() == 1 { "" } else { "s" }
        ));
    }
}
