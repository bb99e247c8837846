//! One CLI session's state (mode and level) and what it answers to a parsed line: built-in
//! session commands (`prompt`, `quit`, `user`, `operator`), the model's or the recorded
//! replies, and the version's unknown-command reply. No I/O here; [`crate::server`] moves the
//! bytes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::fixture::Level;
use crate::master::{MasterCli, MasterReply, Processes, Route};
use crate::model::{Model, Reply};
use crate::replay::ReplayBook;
use crate::tokenizer::{Command, ParsedLine};
use crate::version::Version;

/// The session mode (runtime-api.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The default: the connection closes after the command line.
    NonInteractive,
    /// Interactive: stays open; `prompt` says whether `"\n> "` follows each reply, `timed`
    /// whether the prompt carries the uptime (`[d:hh:mm:ss]> `, 2.8+).
    Interactive {
        /// Print a prompt after each reply.
        prompt: bool,
        /// The prompt shows the process uptime.
        timed: bool,
    },
}

/// What to send back for one line, and whether to close afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The bytes to write.
    pub output: Vec<u8>,
    /// Close the connection after writing (`quit`).
    pub close: bool,
}

/// Where a session's answers come from: the recordings alone (replay), or the model, which
/// falls back on the recordings for the reads it does not execute; and the master's process
/// list, for the master CLI.
#[derive(Debug)]
pub struct Answers {
    /// The recorded replies (and the version's usage list).
    pub book: ReplayBook,
    /// The model, in model mode.
    pub model: Option<Mutex<Model>>,
    /// The model as seeded: what a reset or a reload starts over from.
    seed: Mutex<Option<Arc<Model>>>,
    /// The master and its worker.
    processes: Mutex<Processes>,
}

impl Answers {
    /// Replay only, with a master whose worker has pid 1.
    pub fn replay(book: ReplayBook) -> Answers {
        let processes = Processes::new(1, Duration::ZERO, Instant::now(), "");
        Answers::new(book, None, processes)
    }

    /// Answers from `book`, and from a model starting at `seed` when there is one.
    pub(crate) fn new(book: ReplayBook, seed: Option<Model>, processes: Processes) -> Answers {
        Answers {
            book,
            model: seed.clone().map(Mutex::new),
            seed: Mutex::new(seed.map(Arc::new)),
            processes: Mutex::new(processes),
        }
    }

    /// The seed, to complete it before serving (see `Emulator::apply_config`).
    pub(crate) fn seed(&self) -> MutexGuard<'_, Option<Arc<Model>>> {
        self.seed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rewinds every command to its first recorded reply, and the model to its seed.
    pub(crate) fn reset(&self) {
        self.book.reset();
        if let (Some(seed), Some(model)) = (self.seed().as_ref(), &self.model) {
            *model.lock().unwrap_or_else(|e| e.into_inner()) = (**seed).clone();
        }
    }

    /// What a reload does to the worker side: it starts over from the seed as process `pid`.
    fn restart_worker(&self, pid: u32) {
        self.reset();
        if let Some(model) = &self.model {
            model.lock().unwrap_or_else(|e| e.into_inner()).restart(pid);
        }
    }

    fn processes(&self) -> MutexGuard<'_, Processes> {
        self.processes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Which CLI a session is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A worker's stats socket.
    Worker,
    /// The master CLI (`haproxy -W -S`): its own commands, and `@` prefixes to the worker.
    Master,
}

/// One client session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's level now (`user` / `operator` lower it).
    level: Level,
    /// The socket's level (its `stats socket … level`): what some answers go by, whatever
    /// the session was lowered to.
    socket_level: Level,
    mode: Mode,
    version: Version,
    started: Instant,
    role: Role,
}

impl Session {
    /// A new non-interactive session on a socket of `level`, for a HAProxy `version` whose
    /// process started at `started` (used by the timed prompt).
    pub fn new(level: Level, version: Version, started: Instant) -> Session {
        Session {
            level,
            socket_level: level,
            mode: Mode::NonInteractive,
            version,
            started,
            role: Role::Worker,
        }
    }

    /// A new non-interactive session on the master CLI (whose level is admin, as HAProxy's
    /// is unless the `-S` address says otherwise).
    pub fn master(version: Version, started: Instant) -> Session {
        Session {
            role: Role::Master,
            ..Session::new(Level::Admin, version, started)
        }
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The current level (lowered by `user` / `operator`).
    pub fn level(&self) -> Level {
        self.level
    }

    /// True when the prompt is printed (payload lines then get `"+ "`).
    pub fn prompt_on(&self) -> bool {
        matches!(self.mode, Mode::Interactive { prompt: true, .. })
    }

    /// Executes every command of `line` (`payload` goes to the last one) and returns what
    /// HAProxy would have written.
    pub fn execute(
        &mut self,
        line: &ParsedLine,
        payload: Option<&[u8]>,
        answers: &Answers,
    ) -> Outcome {
        if self.role == Role::Master {
            return self.execute_on_master(line, payload, answers);
        }
        let book = &answers.book;
        let mut out = Outcome::default();
        // A line recorded as a whole (`a;b`) replays as a whole in non-interactive mode.
        if answers.model.is_none()
            && line.commands.len() > 1
            && self.mode == Mode::NonInteractive
            && !line.commands.iter().any(is_session_command)
            && let Some(reply) = book.next_line_reply(self.level, &line.commands, payload)
        {
            out.output.extend_from_slice(&reply);
            return out;
        }
        let count = line.commands.len();
        for (i, command) in line.commands.iter().enumerate() {
            let last = i + 1 == count;
            let this_payload = if last { payload } else { None };
            let body = match self.builtin(command) {
                Builtin::Quit => {
                    out.close = true;
                    return out;
                }
                Builtin::Body(body) => body,
                Builtin::Recorded => self.lookup(command, this_payload, answers),
            };
            out.output.extend_from_slice(&body);
            out.output.extend_from_slice(&self.terminator(last));
        }
        out
    }

    /// The bytes written after a command: `"\n"`, or the prompt.
    fn terminator(&self, last: bool) -> Vec<u8> {
        match self.mode {
            Mode::NonInteractive | Mode::Interactive { prompt: false, .. } => b"\n".to_vec(),
            Mode::Interactive { prompt: true, .. }
                if !last && self.version.prompt_after_last_command_only() =>
            {
                b"\n".to_vec()
            }
            Mode::Interactive { timed: true, .. } => {
                let secs = self.started.elapsed().as_secs();
                format!(
                    "\n[{}:{:02}:{:02}:{:02}]> ",
                    secs / 86400,
                    (secs / 3600) % 24,
                    (secs / 60) % 60,
                    secs % 60
                )
                .into_bytes()
            }
            Mode::Interactive { .. } => b"\n> ".to_vec(),
        }
    }

    fn builtin(&mut self, command: &Command) -> Builtin {
        match command.word0() {
            b"quit" => Builtin::Quit,
            b"prompt" => {
                self.prompt(&command.words[1..]);
                Builtin::Body(Vec::new())
            }
            b"user" => {
                self.level = Level::User;
                Builtin::Body(Vec::new())
            }
            b"operator" => {
                if self.level >= Level::Operator {
                    self.level = Level::Operator;
                    Builtin::Body(Vec::new())
                } else {
                    Builtin::Body(b"Permission denied\n".to_vec())
                }
            }
            _ => Builtin::Recorded,
        }
    }

    fn prompt(&mut self, args: &[Vec<u8>]) {
        let toggled = match self.mode {
            Mode::Interactive { prompt: true, .. } => Mode::NonInteractive,
            _ => Mode::Interactive {
                prompt: true,
                timed: false,
            },
        };
        if !self.version.has_prompt_modes() {
            let timed = self.version.has_timed_prompt() && args.iter().any(|a| a == b"timed");
            self.mode = match toggled {
                Mode::Interactive { prompt, .. } => Mode::Interactive { prompt, timed },
                other => other,
            };
            return;
        }
        // 3.2: `prompt [n|i|p|timed]*`; no mode letter toggles.
        let mut mode = None;
        let mut timed = false;
        for arg in args {
            match arg.as_slice() {
                b"n" => mode = Some(Mode::NonInteractive),
                b"i" => {
                    mode = Some(Mode::Interactive {
                        prompt: false,
                        timed: false,
                    })
                }
                b"p" => {
                    mode = Some(Mode::Interactive {
                        prompt: true,
                        timed: false,
                    })
                }
                b"timed" => timed = true,
                _ => {}
            }
        }
        let mode = mode.unwrap_or(toggled);
        self.mode = match mode {
            Mode::Interactive { prompt: true, .. } => Mode::Interactive {
                prompt: true,
                timed,
            },
            other => other,
        };
    }

    fn lookup(&self, command: &Command, payload: Option<&[u8]>, answers: &Answers) -> Vec<u8> {
        let book = &answers.book;
        if command.is_empty() && payload.is_none() {
            return if self.version.ignores_empty_command() {
                Vec::new()
            } else {
                strip_terminator(&book.unknown_command_reply(&[])).to_vec()
            };
        }
        if command.too_many_args && self.version.rejects_too_many_args() {
            return b"Too many arguments. Commands must have at most 64 arguments.\n".to_vec();
        }
        if let Some(model) = &answers.model {
            let reply = model.lock().unwrap_or_else(|e| e.into_inner()).execute_on(
                self.socket_level,
                self.level,
                command,
                payload,
            );
            return match reply {
                Reply::Body(body) => body,
                Reply::NotModelled => self.not_modelled(command, payload, book),
            };
        }
        match book.next_reply(self.level, command, payload) {
            Some(reply) => strip_terminator(&reply).to_vec(),
            None => {
                tracing::debug!(
                    level = %self.level,
                    command = %String::from_utf8_lossy(&command.key()),
                    "never recorded: answering unknown command"
                );
                strip_terminator(&book.unknown_command_reply(&command.words)).to_vec()
            }
        }
    }
}

impl Session {
    /// The master CLI: each command runs where its `@` prefix sends it (the master without
    /// one). A prefix naming no process ends the connection with HAProxy's error; a reload
    /// ends it with the master's report.
    fn execute_on_master(
        &mut self,
        line: &ParsedLine,
        payload: Option<&[u8]>,
        answers: &Answers,
    ) -> Outcome {
        let mut out = Outcome::default();
        let count = line.commands.len();
        for (i, command) in line.commands.iter().enumerate() {
            let last = i + 1 == count;
            let this_payload = if last { payload } else { None };
            let (route, command) = if command.word0().starts_with(b"@") {
                let Some(route) = answers.processes().route(command.word0()) else {
                    out.output.extend_from_slice(
                        format!(
                            "Can't find the target PID matching the prefix '{}'\n",
                            String::from_utf8_lossy(command.word0())
                        )
                        .as_bytes(),
                    );
                    out.close = true;
                    return out;
                };
                let rest = Command {
                    words: command.words[1..].to_vec(),
                    too_many_args: command.too_many_args,
                };
                (route, rest)
            } else {
                (Route::Master, command.clone())
            };
            if command.is_empty() {
                out.output.extend_from_slice(
                    b"emulator: a lone `@` prefix (a default target for the session) is not emulated; put the prefix before each command.\n",
                );
                out.output.extend_from_slice(&self.terminator(last));
                continue;
            }
            match route {
                Route::Worker => {
                    // HAProxy forwards the command to the worker at the master session's level
                    // and passes its answer through.
                    let mut worker = Session::new(self.level, self.version, self.started);
                    let single = ParsedLine {
                        commands: vec![command],
                        payload_end: None,
                    };
                    let answer = worker.execute(&single, this_payload, answers);
                    out.output.extend_from_slice(&answer.output);
                }
                Route::Master => {
                    let body = match command.word0() {
                        b"quit" => {
                            out.close = true;
                            return out;
                        }
                        b"user" | b"operator" => {
                            // The master takes them in its request parser: no answer at all,
                            // not even the terminator.
                            let _ = self.builtin(&command);
                            continue;
                        }
                        b"prompt" => b"emulator: the master CLI's interactive modes are not emulated; send one command per connection.\n".to_vec(),
                        _ => {
                            let reply = {
                                let mut processes = answers.processes();
                                MasterCli {
                                    processes: &mut processes,
                                    version: self.version,
                                    level: self.level,
                                }
                                .execute(&command)
                            };
                            match reply {
                                MasterReply::Body(body) => body,
                                MasterReply::Reload { pid, report } => {
                                    answers.restart_worker(pid);
                                    out.output.extend_from_slice(&report);
                                    out.close = true;
                                    return out;
                                }
                            }
                        }
                    };
                    out.output.extend_from_slice(&body);
                    out.output.extend_from_slice(&self.terminator(last));
                }
            }
        }
        out
    }

    /// What the model mode answers to a command the model does not execute: a read answers
    /// what HAProxy answered to it at the start of the capture (the seed's state); a command
    /// this version knows gets an `emulator:` message naming it; anything else is unknown to
    /// HAProxy too.
    fn not_modelled(
        &self,
        command: &Command,
        payload: Option<&[u8]>,
        book: &ReplayBook,
    ) -> Vec<u8> {
        let read = matches!(command.word0(), b"show" | b"get" | b"help" | b"echo");
        if read && let Some(reply) = book.first_reply(self.level, command, payload) {
            return strip_terminator(&reply).to_vec();
        }
        if command.word0() == b"help" {
            return strip_terminator(&book.help_reply(&command.words[1..])).to_vec();
        }
        if book.knows(&command.words) {
            let words: Vec<String> = command
                .words
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            return format!(
                "emulator: `{}` is a HAProxy {} command the model does not execute yet; nothing was changed (docs/emulator.md lists what it covers).\n",
                words.join(" "),
                self.version
            )
            .into_bytes();
        }
        strip_terminator(&book.unknown_command_reply(&command.words)).to_vec()
    }
}

enum Builtin {
    Quit,
    Body(Vec<u8>),
    Recorded,
}

fn is_session_command(command: &Command) -> bool {
    matches!(command.word0(), b"quit" | b"prompt" | b"user" | b"operator")
}

/// A recorded (non-interactive) reply is the command's output followed by the `"\n"` the CLI
/// writes after each command; this returns the output alone.
pub fn strip_terminator(reply: &[u8]) -> &[u8] {
    reply.strip_suffix(b"\n").unwrap_or(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;
    use crate::tokenizer::parse_line;

    fn book(v: Version) -> Answers {
        let fx = |seq, command: &str, reply: &str| Fixture {
            seq,
            haproxy: String::new(),
            config: String::new(),
            captured: String::new(),
            socket: Level::Admin,
            command: command.into(),
            payload: vec![],
            reply: reply.as_bytes().to_vec(),
        };
        let mut user = fx(3, "show cli level", "user\n\n");
        user.socket = Level::User;
        Answers::replay(ReplayBook::new(
            v,
            &[
                fx(1, "show version", "2.6.12\n\n"),
                fx(2, "show cli level", "admin\n\n"),
                user,
                fx(
                    4,
                    "help",
                    "The following commands are valid at this level:\n  quit : q\n\n",
                ),
            ],
        ))
    }

    fn run(s: &mut Session, b: &Answers, line: &str) -> Outcome {
        let parsed = parse_line(line.as_bytes(), b.book.version());
        s.execute(&parsed, None, b)
    }

    #[test]
    fn prompt_mode_on_26() {
        let v = Version::new(2, 6, 12);
        let b = book(v);
        let mut s = Session::new(Level::Admin, v, Instant::now());
        assert_eq!(run(&mut s, &b, "prompt").output, b"\n> ");
        assert_eq!(
            run(&mut s, &b, "show version;show version").output,
            b"2.6.12\n\n> 2.6.12\n\n> "
        );
        assert_eq!(run(&mut s, &b, "user").output, b"\n> ");
        assert_eq!(run(&mut s, &b, "show cli level").output, b"user\n\n> ");
        assert_eq!(
            run(&mut s, &b, "operator").output,
            b"Permission denied\n\n> "
        );
        assert!(run(&mut s, &b, "quit").close);
        assert_eq!(run(&mut s, &b, "prompt").output, b"\n");
        assert_eq!(s.mode(), Mode::NonInteractive);
    }

    #[test]
    fn prompt_mode_on_32() {
        let v = Version::new(3, 2, 0);
        let b = book(v);
        let mut s = Session::new(Level::Admin, v, Instant::now());
        assert_eq!(run(&mut s, &b, "prompt").output, b"\n> ");
        assert_eq!(
            run(&mut s, &b, "show version;show version").output,
            b"2.6.12\n\n2.6.12\n\n> "
        );
        assert_eq!(run(&mut s, &b, "prompt i").output, b"\n");
        assert_eq!(run(&mut s, &b, "show version").output, b"2.6.12\n\n");
        assert_eq!(run(&mut s, &b, "").output, b"\n");
    }

    #[test]
    fn empty_and_unknown() {
        let v = Version::new(2, 6, 12);
        let b = book(v);
        let mut s = Session::new(Level::Admin, v, Instant::now());
        assert_eq!(
            run(&mut s, &b, "").output,
            b"Unknown command. Please enter one of the following commands only:\n  quit : q\n\n"
        );
        let v = Version::new(3, 0, 0);
        let b = book(v);
        let mut s = Session::new(Level::Admin, v, Instant::now());
        assert_eq!(run(&mut s, &b, "").output, b"\n");
        assert!(run(&mut s, &b, "bogus cmd").output.starts_with(
            b"Unknown command: 'bogus', but maybe one of the following ones is a better match:"
        ));
    }
}
