//! `hoist dev`: the whole app locally. The sandbox (`hoist sandbox`, as a
//! child process) and the frontend's dev server (`start_command` in
//! hoist.toml) run together, each line of their output prefixed with its
//! name; the frontend starts once the sandbox has written the outputs that
//! point it at the local endpoints, after `npm install` when `node_modules` is
//! missing. One Ctrl-C (or SIGTERM, or SIGHUP) stops both and exits 0, as `hoist
//! sandbox` does; when either stops, the other is stopped too, and a failure
//! is the command's.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cli::{DevArgs, GlobalArgs};
use crate::error::FsError;
use crate::project::ProjectFile;
use crate::ui::Printer;

/// How long the sandbox may take to say it serves.
const SANDBOX_START: Duration = Duration::from_secs(120);
/// How long a stopped process may take before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DevError {
    #[error("there is nothing to run: the project has no api and no frontend")]
    #[diagnostic(
        code(hoist::dev::nothing),
        help(
            "add a backend with `hoist add api --template todo`, or scaffold a frontend with `hoist init --frontend react`"
        )
    )]
    Nothing,

    #[error("the sandbox did not start:\n{output}")]
    #[diagnostic(
        code(hoist::dev::sandbox),
        help("run `hoist sandbox` alone to see what it says")
    )]
    Sandbox { output: String },

    #[error("`{command}` failed in {dir}:\n{output}")]
    #[diagnostic(
        code(hoist::dev::install),
        help("run it yourself in that folder to see the whole output")
    )]
    Install {
        command: String,
        dir: String,
        output: String,
    },

    #[error("could not start `{command}`: {message}")]
    #[diagnostic(
        code(hoist::dev::spawn),
        help(
            "check `start_command` in hoist.toml, and that its program (npm, for the starters) is installed and on PATH"
        )
    )]
    Spawn { command: String, message: String },

    #[error("{name} stopped with {status}")]
    #[diagnostic(
        code(hoist::dev::stopped),
        help("its last lines are above; the other process was stopped too")
    )]
    Stopped { name: &'static str, status: String },
}

/// A line from one of the processes.
enum Event {
    Line(&'static str, String),
    Closed,
}

fn forward(
    name: &'static str,
    stream: impl std::io::Read + Send + 'static,
    tx: mpsc::Sender<Event>,
) {
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(Event::Line(name, line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Event::Closed);
    });
}

/// Start `command` with its output lines sent to `tx` under `name`, in its own
/// process group (so stopping it stops what it started: npm, then Vite).
fn spawn(
    name: &'static str,
    mut command: Command,
    shown: &str,
    tx: &mpsc::Sender<Event>,
) -> Result<Child, DevError> {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        // if hoist dev dies without stopping it (SIGKILL, a crash), it is told to stop
        #[cfg(target_os = "linux")]
        // SAFETY: prctl(PR_SET_PDEATHSIG) is async-signal-safe and touches no memory of ours.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
    }
    let mut child = command.spawn().map_err(|e| DevError::Spawn {
        command: shown.to_string(),
        message: e.to_string(),
    })?;
    if let Some(out) = child.stdout.take() {
        forward(name, out, tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        forward(name, err, tx.clone());
    }
    Ok(child)
}

/// Whether anything of a process group is left.
#[cfg(unix)]
fn group_alive(pgid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks; no memory is touched.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

/// Ask a process and its whole group (a shell's, npm's children) to stop,
/// then make sure they have: the group is signalled even when its leader has
/// already gone, since what it started may still run.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        let pgid = child.id() as i32;
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            let _ = child.try_wait();
            if !group_alive(pgid) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if group_alive(pgid) {
            // SAFETY: as above.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = child.kill();
    let _ = child.wait();
}

fn print_line(width: usize, name: &str, line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{name:<width$} | {line}");
}

/// `npm install` when the frontend has a package.json and no node_modules,
/// with a spinner; its output is shown only when it fails.
fn install(root: &Path, printer: &Printer) -> Result<(), DevError> {
    if !root.join("package.json").is_file() || root.join("node_modules").is_dir() {
        return Ok(());
    }
    let spinner = printer.progress().then(|| {
        let s = indicatif::ProgressBar::new_spinner();
        s.set_message("npm install (node_modules is missing; this happens once)");
        s.enable_steady_tick(Duration::from_millis(120));
        s
    });
    let out = Command::new("npm")
        .arg("install")
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| DevError::Spawn {
            command: "npm install".into(),
            message: e.to_string(),
        })?;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    if !out.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        return Err(DevError::Install {
            command: "npm install".into(),
            dir: root.display().to_string(),
            output: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    printer.info("npm install: done");
    Ok(())
}

/// Wait for Ctrl-C or SIGTERM on its own thread; `true` is sent when one comes.
fn on_signal(tx: mpsc::Sender<bool>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                // Ctrl-C, SIGTERM, and SIGHUP (the terminal closed)
                match (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::hangup()),
                ) {
                    (Ok(mut term), Ok(mut hup)) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = term.recv() => {}
                            _ = hup.recv() => {}
                        }
                    }
                    _ => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        });
        let _ = tx.send(true);
    });
}

pub fn run(args: &DevArgs, global: &GlobalArgs, printer: &Printer) -> Result<(), crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    let file = ProjectFile::discover(&cwd)?;
    let root = file.root().to_path_buf();
    let has_api = !file.manifest.api.is_empty();
    let start = file
        .manifest
        .project
        .start_command
        .clone()
        .filter(|c| !c.trim().is_empty() && !args.no_frontend);
    if !has_api && start.is_none() {
        return Err(DevError::Nothing.into());
    }
    let (tx, rx) = mpsc::channel::<Event>();
    let (signal_tx, signal_rx) = mpsc::channel::<bool>();
    on_signal(signal_tx);
    let width = 7;
    let mut sandbox = None;
    if has_api {
        let exe =
            std::env::current_exe().map_err(|e| FsError::new("find the hoist program", ".", e))?;
        let mut command = Command::new(exe);
        command
            .current_dir(&root)
            .args(["sandbox", "--port", &args.port.to_string()]);
        if let Some(env) = &args.env {
            command.args(["--env", env]);
        }
        if args.reset {
            command.arg("--reset");
        }
        let mut child = spawn("sandbox", command, "hoist sandbox", &tx)?;
        // the frontend starts once the outputs point at the sandbox
        let deadline = Instant::now() + SANDBOX_START;
        let mut seen = Vec::new();
        let ready = loop {
            if signal_rx.try_recv().is_ok() {
                stop(&mut child);
                return Ok(());
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Event::Line(name, line)) => {
                    print_line(width, name, &line);
                    let done = line.starts_with("GraphQL endpoint: ");
                    seen.push(line);
                    if done {
                        break true;
                    }
                }
                Ok(Event::Closed) | Err(mpsc::RecvTimeoutError::Timeout) => {
                    if matches!(child.try_wait(), Ok(Some(_))) || Instant::now() > deadline {
                        break false;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break false,
            }
        };
        if !ready {
            stop(&mut child);
            while let Ok(Event::Line(_, line)) = rx.recv_timeout(Duration::from_millis(100)) {
                seen.push(line);
            }
            return Err(DevError::Sandbox {
                output: seen.join("\n"),
            }
            .into());
        }
        sandbox = Some(child);
    } else {
        printer.info(
            "no api in this project: the frontend runs alone (`hoist add api --template todo` adds a backend)",
        );
    }
    let mut web = None;
    if let Some(command_text) = &start {
        if let Err(e) = install(&root, printer) {
            if let Some(c) = sandbox.as_mut() {
                stop(c);
            }
            return Err(e.into());
        }
        let mut command = Command::new("sh");
        command.current_dir(&root).args(["-c", command_text]);
        match spawn("web", command, command_text, &tx) {
            Ok(child) => web = Some(child),
            Err(e) => {
                if let Some(c) = sandbox.as_mut() {
                    stop(c);
                }
                return Err(e.into());
            }
        }
    }
    if !global.quiet {
        printer.info("hoist dev: Ctrl-C stops everything");
    }
    // until a signal (a normal stop, as for `hoist sandbox`), or one of them stops
    let outcome: Result<(), crate::Error> = loop {
        if signal_rx.try_recv().is_ok() {
            break Ok(());
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::Line(name, line)) => print_line(width, name, &line),
            Ok(Event::Closed) | Err(_) => {}
        }
        let mut ended = None;
        for (name, child) in [
            ("the sandbox", sandbox.as_mut()),
            ("the frontend", web.as_mut()),
        ] {
            if let Some(child) = child
                && let Ok(Some(status)) = child.try_wait()
            {
                ended = Some((name, status));
            }
        }
        if let Some((name, status)) = ended {
            break if status.success() {
                Ok(())
            } else {
                Err(DevError::Stopped {
                    name,
                    status: status.to_string(),
                }
                .into())
            };
        }
    };
    for child in [web.as_mut(), sandbox.as_mut()].into_iter().flatten() {
        stop(child);
    }
    // what they said while stopping
    while let Ok(event) = rx.recv_timeout(Duration::from_millis(200)) {
        if let Event::Line(name, line) = event {
            print_line(width, name, &line);
        }
    }
    outcome
}
