//! Questions. Every input resolves as: its flag, else the answers file, else
//! its default under `--yes`, else a prompt. Prompts go through the
//! [`Prompter`] trait, so they never decide logic and tests need no terminal.

use std::collections::{BTreeMap, VecDeque};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use crate::project::NameError;

/// One question, named by the flag that answers it.
#[derive(Debug, Clone)]
pub struct Question {
    /// The flag's long name without dashes; also the key in an answers file.
    pub key: &'static str,
    pub prompt: &'static str,
    pub default: Option<String>,
}

pub type Validator<'a> = &'a dyn Fn(&str) -> Result<(), String>;

/// Asks the user. Implementations: [`Interactive`] (a terminal),
/// [`NonInteractive`] (no terminal: fails naming the flag) and [`Scripted`] (tests).
pub trait Prompter {
    /// Free text. An empty answer takes the default, if any.
    fn input(&mut self, question: &Question, validate: Validator) -> Result<String, PromptError>;
    /// One of `options` (their labels); returns the chosen index.
    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        default: usize,
    ) -> Result<usize, PromptError>;
    /// Any number of `options` (their labels), `chosen` ticked to begin
    /// with; returns the chosen indexes, in the options' order.
    fn multi_select(
        &mut self,
        question: &Question,
        options: &[String],
        chosen: &[bool],
    ) -> Result<Vec<usize>, PromptError>;
}

#[derive(Debug, Error, Diagnostic)]
pub enum PromptError {
    #[error("no answer to \"{question}\", and there is no terminal to ask on")]
    #[diagnostic(code(hoist::missing_value), help("{hint}"))]
    NeedsValue {
        question: String,
        flag: &'static str,
        /// What to pass instead: see [`PromptError::needs_value`].
        hint: String,
    },

    /// Ctrl-C at a question. Exit status 130, as a shell reports SIGINT.
    #[error("cancelled at \"{question}\": nothing was written")]
    #[diagnostic(code(hoist::interrupted))]
    Interrupted { question: String },

    #[error("could not read the answer: {0}")]
    #[diagnostic(
        code(hoist::prompt),
        help(
            "answer on a terminal, or pass every value as a flag (with `--yes` for the defaults)"
        )
    )]
    Terminal(String),

    #[error("`{}` is not a valid answers file: {message}", path.display())]
    #[diagnostic(
        code(hoist::answers_file),
        help(
            "an answers file holds one `key = \"value\"` line per question, keyed by the flag's name (for example `name = \"shop\"`)"
        )
    )]
    AnswersFile {
        path: PathBuf,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    #[error("could not read the answers file `{}`: {source}", path.display())]
    #[diagnostic(code(hoist::answers_file), help("check the path given to `--answers`"))]
    AnswersRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid value for `--{flag}`: {message}")]
    #[diagnostic(
        code(hoist::invalid_value),
        help("see `--help` for what `--{flag}` takes")
    )]
    BadValue { flag: &'static str, message: String },

    #[error("`{value}` is not a choice for `{key}` in the answers file")]
    #[diagnostic(code(hoist::answers_file), help("choose one of: {choices}"))]
    BadChoice {
        key: &'static str,
        value: String,
        choices: String,
    },
}

impl PromptError {
    /// A question that cannot be asked (no terminal), answered by `--flag`
    /// (or, for the few questions that are not flags, the way to answer).
    pub fn needs_value(question: impl Into<String>, flag: &'static str) -> PromptError {
        let hint = match flag {
            "yes" => "pass `--yes` to answer yes".to_string(),
            // a resource's name is the command's argument, not a flag
            "resource-name" => "give the name after the category (`hoist add storage files`), or pass `--yes` for the default".to_string(),
            "social" => "pass a provider's flags (`--google-client-id`, `--google-client-secret`, ...), or `--yes` for none".to_string(),
            // settings with no default: `--yes` cannot answer them
            "oidc-issuer" => "pass `--oidc-issuer URL` (the OIDC mode has no default provider)".to_string(),
            "oidc-client-id" => "pass `--oidc-client-id ID` (the OIDC mode has no default provider)".to_string(),
            "lambda-authorizer" => "pass `--lambda-authorizer FUNCTION` (a function of this project) or `--lambda-authorizer-arn ARN` (the Lambda mode has no default authorizer)".to_string(),
            _ => format!("pass `--{flag}`, or `--yes` to take the defaults"),
        };
        PromptError::NeedsValue {
            question: question.into(),
            flag,
            hint,
        }
    }
}

/// Answers read from `--answers FILE`.
#[derive(Debug, Default, Clone)]
pub struct Answers {
    values: BTreeMap<String, String>,
}

impl Answers {
    pub fn load(path: &Path) -> Result<Self, PromptError> {
        let text = std::fs::read_to_string(path).map_err(|source| PromptError::AnswersRead {
            path: path.to_path_buf(),
            source,
        })?;
        let values: BTreeMap<String, String> =
            toml::from_str(&text).map_err(|e| PromptError::AnswersFile {
                path: path.to_path_buf(),
                message: e.message().to_string(),
                span: e.span().map(SourceSpan::from),
                src: NamedSource::new(path.display().to_string(), text.clone()),
            })?;
        Ok(Answers { values })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// Resolves each input from flag, answers file, default (with `--yes`) or prompt.
pub struct Inputs<'p> {
    pub answers: Answers,
    pub yes: bool,
    pub prompter: &'p mut dyn Prompter,
}

impl Inputs<'_> {
    /// A text value that must pass `validate`.
    pub fn text(
        &mut self,
        question: Question,
        flag: Option<String>,
        validate: impl Fn(&str) -> Result<(), NameError>,
    ) -> Result<String, crate::Error> {
        if let Some(value) = flag.or_else(|| self.answers.get(question.key).map(str::to_string)) {
            validate(&value)?;
            return Ok(value);
        }
        if self.yes
            && let Some(default) = question.default.clone()
        {
            validate(&default)?;
            return Ok(default);
        }
        let check =
            |answer: &str| validate(answer).map_err(|e| format!("{}; {}", e.problem, e.rule));
        Ok(self.prompter.input(&question, &check)?)
    }

    /// An optional text value: empty means none. `--yes` takes none.
    pub fn optional_text(
        &mut self,
        question: Question,
        flag: Option<String>,
        validate: impl Fn(&str) -> Result<(), NameError>,
    ) -> Result<Option<String>, crate::Error> {
        if let Some(value) = flag.or_else(|| self.answers.get(question.key).map(str::to_string)) {
            if value.is_empty() {
                return Ok(None);
            }
            validate(&value)?;
            return Ok(Some(value));
        }
        if self.yes {
            return Ok(None);
        }
        let check = |answer: &str| {
            if answer.is_empty() {
                Ok(())
            } else {
                validate(answer).map_err(|e| format!("{}; {}", e.problem, e.rule))
            }
        };
        let answer = self.prompter.input(&question, &check)?;
        Ok(Some(answer).filter(|a| !a.is_empty()))
    }

    /// One of a closed set of values. The prompt shows each as its flag
    /// spells it, with its description, in the order `--help` lists them.
    pub fn choice<T: Copy + PartialEq + clap::ValueEnum>(
        &mut self,
        question: Question,
        flag: Option<T>,
        options: &[T],
        default: T,
    ) -> Result<T, crate::Error> {
        self.choice_with(question, flag, options, default, |v| choice_label(&v))
    }

    /// [`Inputs::choice`] with labels of the caller's (which should start
    /// with the flag's spelling too).
    pub fn choice_with<T: Copy + PartialEq + clap::ValueEnum>(
        &mut self,
        question: Question,
        flag: Option<T>,
        options: &[T],
        default: T,
        label: impl Fn(T) -> String,
    ) -> Result<T, crate::Error> {
        if let Some(value) = flag {
            return Ok(value);
        }
        let name = |v: &T| {
            v.to_possible_value()
                .map(|p| p.get_name().to_string())
                .unwrap_or_default()
        };
        if let Some(answer) = self.answers.get(question.key) {
            return options
                .iter()
                .find(|o| name(o) == answer)
                .copied()
                .ok_or_else(|| {
                    PromptError::BadChoice {
                        key: question.key,
                        value: answer.to_string(),
                        choices: options.iter().map(name).collect::<Vec<_>>().join(", "),
                    }
                    .into()
                });
        }
        if self.yes {
            return Ok(default);
        }
        let options: Vec<T> = T::value_variants()
            .iter()
            .filter(|v| options.contains(v))
            .copied()
            .collect();
        let labels: Vec<String> = options.iter().map(|o| label(*o)).collect();
        let default_index = options.iter().position(|o| *o == default).unwrap_or(0);
        let index = self.prompter.select(&question, &labels, default_index)?;
        Ok(options[index])
    }
}

impl Inputs<'_> {
    /// A text value checked by `validate`, whose error says what is wrong and what is allowed.
    pub fn string(
        &mut self,
        question: Question,
        flag: Option<String>,
        validate: impl Fn(&str) -> Result<(), String>,
    ) -> Result<String, crate::Error> {
        let key = question.key;
        let checked = |value: String| -> Result<String, crate::Error> {
            validate(&value).map_err(|message| PromptError::BadValue { flag: key, message })?;
            Ok(value)
        };
        if let Some(value) = flag.or_else(|| self.answers.get(key).map(str::to_string)) {
            return checked(value);
        }
        if self.yes
            && let Some(default) = question.default.clone()
        {
            return checked(default);
        }
        Ok(self.prompter.input(&question, &validate)?)
    }

    /// A whole number in `range`.
    pub fn number(
        &mut self,
        question: Question,
        flag: Option<u32>,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32, crate::Error> {
        let question = Question {
            default: Some(default.to_string()),
            ..question
        };
        let (low, high) = (*range.start(), *range.end());
        let answer = self.string(question, flag.map(|n| n.to_string()), |text| {
            match text.trim().parse::<u32>() {
                Ok(n) if range.contains(&n) => Ok(()),
                _ => Err(format!(
                    "`{text}` is not a whole number from {low} to {high}"
                )),
            }
        })?;
        Ok(answer.trim().parse().unwrap_or(default))
    }

    /// Yes or no.
    pub fn confirm(
        &mut self,
        question: Question,
        flag: Option<bool>,
        default: bool,
    ) -> Result<bool, crate::Error> {
        if let Some(value) = flag {
            return Ok(value);
        }
        if let Some(answer) = self.answers.get(question.key) {
            return match answer {
                "true" | "yes" => Ok(true),
                "false" | "no" => Ok(false),
                other => Err(PromptError::BadChoice {
                    key: question.key,
                    value: other.to_string(),
                    choices: "true, false".into(),
                }
                .into()),
            };
        }
        if self.yes {
            return Ok(default);
        }
        let options = ["yes".to_string(), "no".to_string()];
        let index = self
            .prompter
            .select(&question, &options, if default { 0 } else { 1 })?;
        Ok(index == 0)
    }

    /// A comma-separated list of values from a closed set; empty is allowed.
    pub fn list<T: Copy + PartialEq + clap::ValueEnum>(
        &mut self,
        question: Question,
        flag: Option<Vec<T>>,
        default: Vec<T>,
    ) -> Result<Vec<T>, crate::Error> {
        let name = |v: &T| {
            v.to_possible_value()
                .map(|p| p.get_name().to_string())
                .unwrap_or_default()
        };
        let choices = T::value_variants()
            .iter()
            .map(name)
            .collect::<Vec<_>>()
            .join(", ");
        let parse = |text: &str| -> Result<Vec<T>, String> {
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "none")
                .map(|item| {
                    T::value_variants()
                        .iter()
                        .find(|v| name(v) == item)
                        .copied()
                        .ok_or_else(|| format!("`{item}` is not one of: {choices}"))
                })
                .collect()
        };
        if let Some(values) = flag {
            return Ok(values);
        }
        if let Some(answer) = self.answers.get(question.key) {
            return parse(answer).map_err(|message| {
                PromptError::BadChoice {
                    key: question.key,
                    value: format!("{answer} ({message})"),
                    choices: choices.clone(),
                }
                .into()
            });
        }
        if self.yes {
            return Ok(default);
        }
        // a list of choices, every one shown with its description
        let variants = T::value_variants();
        let labels: Vec<String> = variants.iter().map(choice_label).collect();
        let chosen: Vec<bool> = variants.iter().map(|v| default.contains(v)).collect();
        let picked = self.prompter.multi_select(&question, &labels, &chosen)?;
        Ok(picked.into_iter().map(|i| variants[i]).collect())
    }

    /// A comma-separated list of free values, each checked by `validate`.
    pub fn text_list(
        &mut self,
        question: Question,
        flag: Option<Vec<String>>,
        default: Vec<String>,
        validate: impl Fn(&str) -> Result<(), String>,
    ) -> Result<Vec<String>, crate::Error> {
        let split = |text: &str| -> Vec<String> {
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "none")
                .map(str::to_string)
                .collect()
        };
        let from_outside = flag.or_else(|| self.answers.get(question.key).map(split));
        if let Some(values) = from_outside {
            for value in &values {
                validate(value).map_err(|message| PromptError::BadValue {
                    flag: question.key,
                    message,
                })?;
            }
            return Ok(values);
        }
        if self.yes {
            return Ok(default);
        }
        let question = with_list_default(question, default.clone());
        let answer = self.prompter.input(&question, &|text: &str| {
            split(text).iter().try_for_each(|v| validate(v))
        })?;
        Ok(split(&answer))
    }
}

/// A value as a prompt offers it: the flag's spelling, then its description
/// (`user-pools  Signed-in users of the project's Cognito user pool`).
pub fn choice_label<T: clap::ValueEnum>(value: &T) -> String {
    match value.to_possible_value() {
        Some(p) => match p.get_help() {
            Some(help) => format!("{:<12} {help}", p.get_name()),
            None => p.get_name().to_string(),
        },
        None => String::new(),
    }
}

/// A list question shows its default as `a,b`, or `none`.
fn with_list_default(question: Question, default: Vec<String>) -> Question {
    let shown = default.join(",");
    Question {
        default: Some(if shown.is_empty() {
            "none".into()
        } else {
            shown
        }),
        ..question
    }
}

/// The prompter for this process: interactive on a terminal, else one that fails.
pub fn for_terminal() -> Box<dyn Prompter> {
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        Box::new(Interactive)
    } else {
        Box::new(NonInteractive)
    }
}

/// Asks on the terminal with dialoguer.
pub struct Interactive;

/// Runs one dialoguer question; Ctrl-C ends hoist there.
///
/// console (dialoguer's terminal layer) reads each key in raw mode and, on
/// Ctrl-C, raises SIGINT itself; between two keys the terminal is in its
/// normal mode and Ctrl-C is a SIGINT from the terminal. Either way, while a
/// question is open, a handler shows the cursor again, says that nothing was
/// written (answers are only written after the last question) and exits
/// with 130, as a shell reports SIGINT. Exiting from the handler cannot race
/// with a read that has not started yet. The previous action is restored
/// after the question; an ignored SIGINT stays ignored.
fn ask<T>(
    question: &Question,
    run: impl FnOnce() -> dialoguer::Result<T>,
) -> Result<T, PromptError> {
    let guard = interrupt::Guard::install();
    let result = run();
    drop(guard);
    match result {
        Ok(value) => Ok(value),
        // A SIGINT that reached the read some other way (a handler of ours not installed).
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            let _ = console::Term::stderr().show_cursor();
            eprintln!();
            Err(PromptError::Interrupted {
                question: question.prompt.to_string(),
            })
        }
        Err(e) => Err(PromptError::Terminal(e.to_string())),
    }
}

#[cfg(unix)]
mod interrupt {
    /// What the terminal is left with: the cursor shown again (dialoguer
    /// hides it in a choice), a new line, and the reason.
    const FAREWELL: &[u8] = b"\x1b[?25h\n  x cancelled: nothing was written\n";

    extern "C" fn cancel(_signal: libc::c_int) {
        // Async-signal-safe: write(2) and _exit(2) only.
        // SAFETY: a static buffer of the stated length; _exit ends the process.
        unsafe {
            libc::write(2, FAREWELL.as_ptr().cast(), FAREWELL.len());
            libc::_exit(130);
        }
    }

    /// SIGINT ends the process through `cancel` until dropped; the previous
    /// action (normally the default) is then restored.
    pub struct Guard {
        previous: libc::sigaction,
    }

    impl Guard {
        pub fn install() -> Option<Guard> {
            // SAFETY: sigaction with zeroed structs filled as POSIX asks; the
            // handler calls only async-signal-safe functions.
            unsafe {
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGINT, std::ptr::null(), &mut previous) != 0
                    || previous.sa_sigaction == libc::SIG_IGN
                {
                    return None;
                }
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = cancel as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                (libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut()) == 0)
                    .then_some(Guard { previous })
            }
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            // SAFETY: puts back the action read by `install`.
            unsafe {
                libc::sigaction(libc::SIGINT, &self.previous, std::ptr::null_mut());
            }
        }
    }
}

#[cfg(not(unix))]
mod interrupt {
    pub struct Guard;
    impl Guard {
        pub fn install() -> Option<Guard> {
            None
        }
    }
}

impl Prompter for Interactive {
    fn input(&mut self, question: &Question, validate: Validator) -> Result<String, PromptError> {
        let theme = dialoguer::theme::ColorfulTheme::default();
        let mut input = dialoguer::Input::<String>::with_theme(&theme)
            .with_prompt(question.prompt)
            .allow_empty(true)
            .validate_with(|answer: &String| -> Result<(), String> {
                if answer.is_empty() && question.default.is_some() {
                    Ok(())
                } else {
                    validate(answer)
                }
            });
        if let Some(default) = &question.default {
            input = input.default(default.clone());
        }
        ask(question, || input.interact_text())
    }

    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        default: usize,
    ) -> Result<usize, PromptError> {
        let theme = dialoguer::theme::ColorfulTheme::default();
        let index = ask(question, || {
            dialoguer::Select::with_theme(&theme)
                .with_prompt(question.prompt)
                .items(options)
                .default(default)
                .report(false)
                .interact()
        })?;
        echo(question, &[&options[index]]);
        Ok(index)
    }

    fn multi_select(
        &mut self,
        question: &Question,
        options: &[String],
        chosen: &[bool],
    ) -> Result<Vec<usize>, PromptError> {
        let theme = dialoguer::theme::ColorfulTheme::default();
        let picked = ask(question, || {
            dialoguer::MultiSelect::with_theme(&theme)
                .with_prompt(format!(
                    "{} (space to tick, enter to accept)",
                    question.prompt
                ))
                .items(options)
                .defaults(chosen)
                .report(false)
                .interact()
        })?;
        let names: Vec<&String> = picked.iter().map(|i| &options[*i]).collect();
        echo(question, &names);
        Ok(picked)
    }
}

/// The answer to a choice, as the prompt leaves it on the screen: the chosen
/// values' names (the first word of their labels), not their descriptions.
fn echo(question: &Question, chosen: &[&String]) {
    let names: Vec<&str> = chosen
        .iter()
        .filter_map(|label| label.split_whitespace().next())
        .collect();
    let shown = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    eprintln!(
        "{} {} {} {}",
        console::style("✔").green(),
        console::style(question.prompt).bold(),
        console::style("·").dim(),
        console::style(shown).green()
    );
}

/// No terminal: every question that reaches a prompt is an error naming its flag.
pub struct NonInteractive;

impl Prompter for NonInteractive {
    fn input(&mut self, question: &Question, _: Validator) -> Result<String, PromptError> {
        Err(PromptError::needs_value(question.prompt, question.key))
    }

    fn select(
        &mut self,
        question: &Question,
        _: &[String],
        _: usize,
    ) -> Result<usize, PromptError> {
        self.input(question, &|_| Ok(())).map(|_| 0)
    }

    fn multi_select(
        &mut self,
        question: &Question,
        _: &[String],
        _: &[bool],
    ) -> Result<Vec<usize>, PromptError> {
        Err(PromptError::needs_value(question.prompt, question.key))
    }
}

/// Answers from a script, in order; records what was asked. For tests.
#[derive(Debug, Default)]
pub struct Scripted {
    answers: VecDeque<String>,
    /// The keys of the questions asked, in order.
    pub asked: Vec<&'static str>,
}

impl Scripted {
    pub fn new<S: Into<String>>(answers: impl IntoIterator<Item = S>) -> Self {
        Scripted {
            answers: answers.into_iter().map(Into::into).collect(),
            asked: Vec::new(),
        }
    }

    fn next(&mut self, question: &Question) -> Result<String, PromptError> {
        self.asked.push(question.key);
        self.answers
            .pop_front()
            .ok_or_else(|| PromptError::needs_value(question.prompt, question.key))
    }
}

impl Prompter for Scripted {
    fn input(&mut self, question: &Question, validate: Validator) -> Result<String, PromptError> {
        let answer = self.next(question)?;
        if answer.is_empty()
            && let Some(default) = &question.default
        {
            return Ok(default.clone());
        }
        validate(&answer).map_err(PromptError::Terminal)?;
        Ok(answer)
    }

    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        default: usize,
    ) -> Result<usize, PromptError> {
        let answer = self.next(question)?;
        if answer.is_empty() {
            return Ok(default);
        }
        options
            .iter()
            .position(|o| o == &answer || o.split_whitespace().next() == Some(answer.as_str()))
            .ok_or_else(|| PromptError::Terminal(format!("`{answer}` is not one of the options")))
    }

    /// The answer is a comma-separated list of the options' first words;
    /// empty keeps the ticked ones.
    fn multi_select(
        &mut self,
        question: &Question,
        options: &[String],
        chosen: &[bool],
    ) -> Result<Vec<usize>, PromptError> {
        let answer = self.next(question)?;
        if answer.is_empty() {
            return Ok((0..options.len()).filter(|i| chosen[*i]).collect());
        }
        let mut picked = Vec::new();
        for word in answer
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty() && *w != "none")
        {
            let i = options
                .iter()
                .position(|o| o.split_whitespace().next() == Some(word))
                .ok_or_else(|| {
                    PromptError::Terminal(format!("`{word}` is not one of the options"))
                })?;
            picked.push(i);
        }
        picked.sort();
        picked.dedup();
        Ok(picked)
    }
}
