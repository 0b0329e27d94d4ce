//! Prompts on a real pseudo-terminal (rexpect): what a newcomer sees when
//! hoist asks, answered key by key as a person at a terminal would. Each test
//! waits for the exact question before it presses a key, and reads the
//! screen with its colours and cursor moves stripped.

mod common;

use std::path::Path;

use common::Sandbox;
use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";
const SPACE: &str = " ";

/// A session of `hoist ARGS` in `dir` on a pseudo-terminal, with nothing from
/// the caller's environment but PATH, and 20 s for each expected text.
fn spawn(sb: &Sandbox, dir: &Path, args: &[&str]) -> Screen {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.home.path())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "140")
        .args(args);
    Screen {
        session: spawn_command(cmd, Some(20_000)).expect("start hoist on a pty"),
        seen: String::new(),
        raw: String::new(),
    }
}

/// A running prompt and everything it has shown so far: `seen` as read
/// (ANSI codes removed), `raw` with them.
struct Screen {
    session: PtySession,
    seen: String,
    raw: String,
}

impl Screen {
    /// Wait until `text` is on the screen; what came before it is kept in `seen`.
    fn expect(&mut self, text: &str) -> String {
        match self.session.exp_string(text) {
            Ok(before) => {
                self.raw.push_str(&before);
                self.raw.push_str(text);
                let before = decode(&before);
                self.seen.push_str(&before);
                self.seen.push_str(text);
                before
            }
            Err(e) => panic!(
                "waiting for {text:?}: {e}\n--- the screen so far ---\n{}",
                self.seen
            ),
        }
    }

    /// Press keys (sent as they are: no newline is added).
    fn press(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
        self.session.flush().unwrap();
    }

    /// Type a line of text and press enter.
    fn answer(&mut self, text: &str) {
        self.press(text);
        self.press(ENTER);
    }

    /// Wait for the program to end; its exit code and the rest of the screen.
    fn finish(self) -> (i32, String) {
        let (code, seen, _) = self.finish_raw();
        (code, seen)
    }

    /// [`Screen::finish`], with the raw bytes too (as one `char` each).
    fn finish_raw(mut self) -> (i32, String, String) {
        let rest = self
            .session
            .exp_eof()
            .unwrap_or_else(|e| panic!("waiting for the end: {e}\n{}", self.seen));
        self.raw.push_str(&rest);
        self.seen.push_str(&decode(&rest));
        let code = match self.session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("hoist did not exit: {other:?}\n{}", self.seen),
        };
        (code, self.seen, self.raw)
    }
}

/// What the terminal shows: rexpect hands over each byte as one `char`, so
/// the bytes are put back together as UTF-8, then colours and cursor moves
/// are removed.
fn decode(raw: &str) -> String {
    let bytes: Vec<u8> = raw.chars().map(|c| c as u32 as u8).collect();
    console::strip_ansi_codes(&String::from_utf8_lossy(&bytes)).into_owned()
}

/// A project made without questions, for the category prompts.
fn project(sb: &Sandbox, extra: &[&str]) -> std::path::PathBuf {
    let mut args = vec!["init", "shop", "--frontend", "react", "--yes", "-q"];
    args.extend_from_slice(extra);
    sb.hoist().args(&args).assert().success();
    sb.join("shop")
}

/// `hoist init` in an empty folder: choices are the flags' spellings with a
/// description, a choice is echoed by its name, and a region the SDK does not
/// know is refused at its question and asked again, losing no earlier answer.
#[test]
fn init_asks_in_flag_spellings_and_refuses_an_unknown_region_at_its_question() {
    let sb = Sandbox::new();
    let dir = sb.join("shop");
    std::fs::create_dir_all(&dir).unwrap();
    let mut s = spawn(&sb, &dir, &["init"]);

    s.expect("Project name");
    s.press(ENTER);
    s.expect("Frontend");
    let head = s.expect("react-native");
    let tail = s.expect("a backend only");
    let list = format!("{head}react-native{tail}");
    s.press(ENTER);
    s.expect("Starter");
    s.expect("todo");
    s.press(DOWN);
    s.press(ENTER);
    s.expect("Environment name");
    s.press(ENTER);
    s.expect("AWS profile (empty for the standard credential chain)");
    s.press(ENTER);
    s.expect("AWS region");
    s.answer("eu-west-9");
    s.expect("not one of the regions of the AWS SDK");
    s.expect("AWS region");
    s.answer("eu-west-1");
    let (code, screen) = s.finish();

    assert_eq!(code, 0, "{screen}");
    // Each option opens with the flag's spelling (lower case), then its
    // description: never a Rust name such as `ReactNative`.
    let names: Vec<&str> = list
        .lines()
        .map(|l| l.trim_start_matches(['❯', ' ']).trim_end())
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphanumeric()))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["react", "vue", "react-native", "none"], "{list}");
    assert!(!screen.contains("ReactNative"), "{screen}");
    // The choice is echoed by its name, not its padded description.
    assert!(screen.contains("Starter · todo"), "{screen}");
    assert!(
        !screen.contains("Starter · todo          sign-in"),
        "{screen}"
    );
    let manifest = sb.read("shop/hoist.toml");
    assert!(manifest.contains("region = \"eu-west-1\""), "{manifest}");
    assert!(
        manifest.contains("[auth.main]"),
        "the todo starter: {manifest}"
    );
}

/// `hoist add auth`: each question once, its default shown once, choices in
/// flag spellings, and the list answers (attributes, password classes) are
/// multi-selects ticked with the space bar.
#[test]
fn add_auth_offers_flag_spellings_and_multi_selects() {
    let sb = Sandbox::new();
    let root = project(&sb, &[]);
    let mut s = spawn(&sb, &root, &["add", "auth"]);

    s.expect("Resource name (main)");
    s.press(ENTER);
    s.expect("How do users sign in?");
    let options = s.expect("email-or-phone");
    assert!(!options.contains("EmailOrPhone"), "{options}");
    s.press(ENTER);
    s.expect("Attributes required at sign-up, besides those sign-in needs (space to tick, enter to accept)");
    // The first attribute offered (in --help's order) is ticked.
    s.expect("address");
    s.press(SPACE);
    s.press(ENTER);
    s.expect("May users sign themselves up?");
    s.press(ENTER);
    s.expect("How do users recover a lost password?");
    s.press(ENTER);
    s.expect("Minimum password length");
    s.press(ENTER);
    s.expect("Characters a password must contain (space to tick, enter to accept)");
    // Every class is ticked by default; untick the first (lowercase).
    s.expect("symbols");
    s.press(SPACE);
    s.press(ENTER);
    s.expect("Multi-factor authentication");
    s.press(ENTER);
    s.expect("Let guests (not signed in) use AWS resources, such as public files?");
    s.press(ENTER);
    s.expect("User pool groups");
    s.press(ENTER);
    s.expect("Social sign-in providers (none ticked: none)");
    s.press(ENTER);
    s.expect("OIDC provider name (empty for none)");
    s.press(ENTER);
    let (code, screen) = s.finish();

    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Added auth `main`"), "{screen}");
    // Each default appears once in its question's line.
    let asked = screen
        .split("? Minimum password length")
        .nth(1)
        .and_then(|rest| rest.split('›').next())
        .expect("the question was shown");
    assert_eq!(asked.trim(), "(8)", "the default is shown once");
    assert!(
        screen.contains("besides those sign-in needs · address"),
        "{screen}"
    );
    let manifest = sb.read("shop/hoist.toml");
    assert!(
        manifest.contains("required_attributes = [\"address\"]"),
        "{manifest}"
    );
    assert!(manifest.contains("require_lowercase = false"), "{manifest}");
    assert!(manifest.contains("require_symbols = true"), "{manifest}");
}

/// `hoist add storage` with auth whose guest access is off: the guests'
/// question is not offered, so no answer can be refused after the fact.
#[test]
fn storage_does_not_ask_about_guests_when_auth_keeps_them_out() {
    let sb = Sandbox::new();
    let root = project(&sb, &[]);
    sb.hoist_in(&root)
        .args(["add", "auth", "--yes", "--no-guest"])
        .assert()
        .success();
    let mut s = spawn(&sb, &root, &["add", "storage"]);
    s.expect("Resource name");
    s.press(ENTER);
    s.expect("What may signed-in users do with files?");
    s.press(ENTER);
    let (code, screen) = s.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("guests"), "{screen}");
    assert!(sb.read("shop/hoist.toml").contains("[storage.files]"));
}

/// `hoist remove`: the confirmation is a yes/no choice; no leaves the project
/// as it was and says so.
#[test]
fn remove_asks_and_no_keeps_everything() {
    let sb = Sandbox::new();
    let root = project(&sb, &[]);
    sb.hoist_in(&root)
        .args(["add", "auth", "--yes"])
        .assert()
        .success();
    sb.hoist_in(&root)
        .args(["add", "storage", "--yes"])
        .assert()
        .success();
    let before = sb.read("shop/hoist.toml");
    let mut s = spawn(&sb, &root, &["remove", "storage"]);
    s.expect("its bucket (and the files in it) is kept in AWS");
    s.expect("Remove it from the project?");
    s.expect("no");
    s.press(DOWN);
    s.press(ENTER);
    let (code, screen) = s.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Nothing removed."), "{screen}");
    assert_eq!(sb.read("shop/hoist.toml"), before);
}

/// Ctrl-C at a question ends hoist at once with the shell's interrupt status
/// (130), says nothing was written, and shows the cursor again. Ctrl-C is
/// pressed right after another key, while the choice is being redrawn (the
/// terminal then delivers a real SIGINT, not a key), several times over.
#[test]
fn ctrl_c_at_a_question_writes_nothing() {
    let sb = Sandbox::new();
    let root = project(&sb, &[]);
    let before = sb.read("shop/hoist.toml");
    for round in 0..8u64 {
        let mut s = spawn(&sb, &root, &["add", "auth"]);
        s.expect("Resource name (main)");
        s.press(ENTER);
        s.expect("How do users sign in?");
        s.expect("email-or-phone");
        s.press(DOWN);
        if round % 2 == 1 {
            std::thread::sleep(std::time::Duration::from_millis(round));
        }
        s.session.send_control('c').unwrap();
        let (code, screen, raw) = s.finish_raw();
        assert_eq!(code, 130, "round {round}: {screen}");
        assert!(
            screen.contains("cancelled: nothing was written"),
            "{screen}"
        );
        assert!(
            raw.contains("\x1b[?25h"),
            "the cursor is shown again: {raw:?}"
        );
        assert_eq!(sb.read("shop/hoist.toml"), before);
    }
}
