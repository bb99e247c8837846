//! [`RuntimeClient`]: one typed async method per Runtime API operation.
//!
//! Every method builds a typed [`Command`], and [`RuntimeClient::execute`] is the single path
//! to the socket: it enforces read-only mode, queues behind a connection limit (HAProxy's
//! `stats maxconn`, 10 by default, is shared by every CLI socket and every operator), retries
//! reads only when nothing reached HAProxy, and classifies the reply.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::command::args::{
    self, CrtListLine, Fqdn, MapName, OcspKey, ProxyName, SecretWord, SectionName, ServerAddress,
    ServerRef, SessionId, TableName, TlsFileName, Weight,
};
use super::command::{
    AddServerOptions, AgentState, BackendMode, Command, Expect, HealthState, ListKind,
    MAX_LINE_BYTES, Payload, RateLimitKind, Route, ServerAdminState, StatFilter, StreamScope,
    TableFilter,
};
use super::endpoint::{Endpoint, ExchangeError, Limits};
use super::error::{RuntimeError, TimeoutStage};
use super::keepalive::KeepAlive;
use super::parse::{self, ParseError};
use super::response::{classify, frame};

/// Longest map key, value or ACL pattern accepted, in bytes.
const MAX_TEXT: usize = 4096;

/// How the client behaves; every field has a production default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Connect/command deadlines and the reply size cap.
    pub limits: Limits,
    /// Most CLI connections this client holds at once; further calls queue. Keep it well below
    /// HAProxy's `stats maxconn` (10 by default, shared with every other CLI user).
    pub max_connections: usize,
    /// How many times a read is retried when the connection could not be opened.
    pub read_retries: u32,
    /// Wait before the first retry; doubles each time.
    pub retry_backoff: Duration,
    /// Refuse every command that changes HAProxy.
    pub read_only: bool,
    /// How long a kept `prompt`-mode connection for the most frequent reads is used after it was
    /// opened (it holds one of HAProxy's CLI slots meanwhile, and after an external reload it
    /// may still reach the old worker until then); zero sends every command on its own
    /// connection. Keep it below HAProxy's `stats timeout` (10 s by default).
    pub keep_alive: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            max_connections: 4,
            read_retries: 2,
            retry_backoff: Duration::from_millis(100),
            read_only: false,
            keep_alive: Duration::from_secs(1),
        }
    }
}

/// A Runtime API client for one HAProxy endpoint. Cheap to clone; clones share the connection
/// limit.
#[derive(Debug, Clone)]
pub struct RuntimeClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    endpoint: Endpoint,
    options: ClientOptions,
    permits: Arc<Semaphore>,
    keep_alive: Arc<KeepAlive>,
    observer: OnceLock<Arc<dyn CommandObserver>>,
}

/// Told about every command a client executes: how long it took (queueing for a connection
/// included) and how it failed, if it did. Used for metrics.
pub trait CommandObserver: Send + Sync + std::fmt::Debug {
    /// `command` ended after `elapsed`, with `error` when it failed.
    fn observe(&self, command: &Command, elapsed: Duration, error: Option<&RuntimeError>);
}

impl RuntimeClient {
    /// A client for `endpoint`.
    pub fn new(endpoint: Endpoint, options: ClientOptions) -> Self {
        let permits = Arc::new(Semaphore::new(options.max_connections.max(1)));
        let keep_alive = KeepAlive::new(options.keep_alive);
        Self {
            inner: Arc::new(Inner {
                endpoint,
                options,
                permits,
                keep_alive,
                observer: OnceLock::new(),
            }),
        }
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The client's options.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Whether mutations are refused.
    pub fn is_read_only(&self) -> bool {
        self.inner.options.read_only
    }

    /// Attaches the observer told about every command (the first one attached stays; returns
    /// false when one was already there). Clones share it.
    pub fn set_observer(&self, observer: Arc<dyn CommandObserver>) -> bool {
        self.inner.observer.set(observer).is_ok()
    }

    /// Sends one command and returns HAProxy's reply text once it is known to be a success.
    pub async fn execute(&self, command: &Command) -> Result<String, RuntimeError> {
        let started = Instant::now();
        let result = self.execute_unobserved(command).await;
        if let Some(observer) = self.inner.observer.get() {
            observer.observe(command, started.elapsed(), result.as_ref().err());
        }
        result
    }

    async fn execute_unobserved(&self, command: &Command) -> Result<String, RuntimeError> {
        let opts = &self.inner.options;
        if opts.read_only && command.is_mutation() {
            return Err(RuntimeError::ReadOnly {
                command: command.to_string(),
            });
        }
        let line = self.line_for(command)?;
        let raw = self.send_with_retries(command, &line).await?;
        let master_change = command.route() == Route::Master && command.is_mutation();
        // HAProxy always writes at least the terminator; zero bytes means the connection was
        // dropped. The one exception is 2.6's master `reload`, which closes without a word.
        if raw.is_empty() && !master_change {
            return Err(RuntimeError::NoReply {
                endpoint: self.inner.endpoint.to_string(),
                command: command.to_string(),
            });
        }
        let raw_len = raw.len();
        let ends_cleanly = raw == b"\n" || raw.ends_with(b"\n\n");
        let reply = classify(command, into_text(raw))?;
        // A dump always ends with HAProxy's end-of-reply empty line (a lone LF when it is
        // empty). Without it the connection closed part-way (HAProxy stopped or crashed, a
        // proxy cut it), and what did arrive must not pass for the whole answer. (The master's
        // `reload` closes the connection as it goes, with or without a report.)
        if command.expect() == Expect::Dump && !master_change && !ends_cleanly {
            return Err(RuntimeError::Io {
                endpoint: self.inner.endpoint.to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "the reply to `{command}` was cut short: the connection closed after {} \
                         bytes, before HAProxy's end-of-reply empty line",
                        raw_len
                    ),
                ),
            });
        }
        Ok(reply)
    }

    /// The exact bytes for `command` on this endpoint.
    fn line_for(&self, command: &Command) -> Result<Vec<u8>, RuntimeError> {
        let encoded = command.encode()?;
        let endpoint = &self.inner.endpoint;
        match command.route() {
            Route::Worker => Ok(endpoint.route_worker_line(encoded)),
            Route::Master if endpoint.master_target().is_some() => Ok(encoded),
            Route::Master => Err(RuntimeError::NeedsMaster {
                command: command.to_string(),
            }),
        }
    }

    async fn send_with_retries(
        &self,
        command: &Command,
        line: &[u8],
    ) -> Result<Vec<u8>, RuntimeError> {
        let opts = &self.inner.options;
        let endpoint = &self.inner.endpoint;
        let mut attempt = 0u32;
        loop {
            let result = self.send_once(command, line).await;
            let nothing_sent = matches!(
                result,
                Err(ExchangeError::Connect(_) | ExchangeError::ConnectTimeout)
            );
            // Only reads are retried, and only when nothing reached HAProxy.
            if nothing_sent && !command.is_mutation() && attempt < opts.read_retries {
                let wait = opts.retry_backoff * 2u32.saturating_pow(attempt);
                tracing::debug!(%endpoint, %command, attempt, ?wait, "connect failed, retrying read");
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return result.map_err(|e| self.exchange_error(command, e));
        }
    }

    /// One attempt: over the kept connection when it applies, else on a connection of its own,
    /// within the connection budget either way.
    async fn send_once(&self, command: &Command, line: &[u8]) -> Result<Vec<u8>, ExchangeError> {
        let inner = &self.inner;
        let limits = &inner.options.limits;
        let kept = inner
            .keep_alive
            .exchange(&inner.endpoint, &inner.permits, command, line, limits)
            .await;
        if let Some(result) = kept {
            return result;
        }
        let _permit = inner.keep_alive.permit(&inner.permits).await;
        inner.endpoint.exchange(line, limits).await
    }

    fn exchange_error(&self, command: &Command, error: ExchangeError) -> RuntimeError {
        let endpoint = self.inner.endpoint.to_string();
        let limits = &self.inner.options.limits;
        match error {
            ExchangeError::Connect(source) => RuntimeError::Connect { endpoint, source },
            ExchangeError::ConnectTimeout => RuntimeError::Timeout {
                endpoint,
                stage: TimeoutStage::Connect,
                after: limits.connect_timeout,
            },
            ExchangeError::Io(source) => RuntimeError::Io { endpoint, source },
            ExchangeError::ReplyTimeout => RuntimeError::Timeout {
                endpoint,
                stage: TimeoutStage::Reply,
                after: limits.command_timeout,
            },
            ExchangeError::TooLarge => RuntimeError::ReplyTooLarge {
                command: command.to_string(),
                limit: limits.max_reply_bytes,
            },
        }
    }

    /// Runs a command and parses its reply.
    async fn query<T>(
        &self,
        command: Command,
        parse: impl FnOnce(&str) -> Result<T, ParseError>,
    ) -> Result<T, RuntimeError> {
        self.query_owned(command, |reply| parse(&reply)).await
    }

    /// Runs a command and hands its reply text over to `parse` (which may keep it).
    async fn query_owned<T>(
        &self,
        command: Command,
        parse: impl FnOnce(String) -> Result<T, ParseError>,
    ) -> Result<T, RuntimeError> {
        let reply = self.execute(&command).await?;
        parse(reply).map_err(|source| RuntimeError::Parse {
            command: command.to_string(),
            source,
        })
    }

    /// Runs a command whose success prints nothing (or a known message) and returns the message.
    async fn run(&self, command: Command) -> Result<String, RuntimeError> {
        self.execute(&command)
            .await
            .map(|r| r.trim_end().to_owned())
    }

    // ---- statistics and process information -------------------------------------------------

    /// `show info`.
    pub async fn show_info(&self) -> Result<parse::info::ProcessInfo, RuntimeError> {
        self.query(Command::show_info(), parse::info::parse).await
    }

    /// `show version`: the version string.
    pub async fn show_version(&self) -> Result<String, RuntimeError> {
        self.query(Command::show_version(), |t| Ok(t.trim().to_owned()))
            .await
    }

    /// `show stat` with a server-side filter.
    pub async fn show_stat(
        &self,
        filter: &StatFilter,
    ) -> Result<parse::stat::StatReport, RuntimeError> {
        self.query(Command::show_stat(filter), parse::stat::parse)
            .await
    }

    /// `show stat` with a server-side filter, with rows typed on demand: for callers that use
    /// a few rows of a possibly large reply (the reply text is kept, not copied).
    pub async fn show_stat_table(
        &self,
        filter: &StatFilter,
    ) -> Result<parse::stat::StatTable, RuntimeError> {
        self.query_owned(Command::show_stat(filter), parse::stat::StatTable::parse)
            .await
    }

    /// `show activity`.
    pub async fn show_activity(&self) -> Result<parse::activity::ActivityReport, RuntimeError> {
        self.query(Command::show_activity(), parse::activity::parse)
            .await
    }

    /// `clear counters [all]`.
    pub async fn clear_counters(&self, all: bool) -> Result<(), RuntimeError> {
        self.run(Command::clear_counters(all)).await.map(drop)
    }

    /// `show errors [<proxy>]`.
    pub async fn show_errors(
        &self,
        proxy: Option<&ProxyName>,
    ) -> Result<parse::errors::ErrorsReport, RuntimeError> {
        self.query(Command::show_errors(proxy), parse::errors::parse)
            .await
    }

    // ---- topology ----------------------------------------------------------------------------

    /// `show backend`: backend names.
    pub async fn show_backends(&self) -> Result<Vec<String>, RuntimeError> {
        self.query(Command::show_backend(), parse::backend::parse)
            .await
    }

    /// `show servers state [<backend>]`.
    pub async fn show_servers_state(
        &self,
        backend: Option<&ProxyName>,
    ) -> Result<parse::servers_state::ServersState, RuntimeError> {
        self.query(
            Command::show_servers_state(backend),
            parse::servers_state::parse,
        )
        .await
    }

    /// `show servers conn [<backend>]`.
    pub async fn show_servers_conn(
        &self,
        backend: Option<&ProxyName>,
    ) -> Result<parse::servers_conn::ServersConn, RuntimeError> {
        self.query(
            Command::show_servers_conn(backend),
            parse::servers_conn::parse,
        )
        .await
    }

    /// `show map` / `show acl`: the loaded maps or ACLs.
    pub async fn show_lists(
        &self,
        kind: ListKind,
    ) -> Result<Vec<parse::map::MapInfo>, RuntimeError> {
        self.query(Command::show_lists(kind), parse::map::parse_list)
            .await
    }

    /// `show table`: the stick tables.
    pub async fn show_tables(&self) -> Result<Vec<parse::table::TableInfo>, RuntimeError> {
        self.query(Command::show_tables(), parse::table::parse_list)
            .await
    }

    // ---- servers -----------------------------------------------------------------------------

    /// `add server`. The server starts in maintenance with checks disabled (HAProxy's rule).
    pub async fn add_server(
        &self,
        server: &ServerRef,
        addr: &ServerAddress,
        options: &AddServerOptions,
    ) -> Result<(), RuntimeError> {
        self.run(Command::add_server(server, addr, options))
            .await
            .map(drop)
    }

    /// `del server`.
    pub async fn del_server(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::del_server(server)).await.map(drop)
    }

    /// `wait <ms> srv-removable <b>/<s>` (3.0+): returns once `del server` can succeed, or
    /// with HAProxy's reason after at most `wait` — shortened to leave a second of this
    /// client's command deadline, so HAProxy's answer arrives before the deadline does.
    pub async fn wait_server_removable(
        &self,
        server: &ServerRef,
        wait: std::time::Duration,
    ) -> Result<(), RuntimeError> {
        let deadline = self.inner.options.limits.command_timeout;
        let wait = wait.min(deadline.saturating_sub(std::time::Duration::from_secs(1)));
        let millis = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX).max(1);
        self.run(Command::wait_server_removable(server, millis))
            .await
            .map(drop)
    }

    /// `add backend <name> from <defaults> [mode …] [guid …]` (3.4+): the new backend starts
    /// unpublished.
    pub async fn add_backend(
        &self,
        name: &ProxyName,
        defaults: &ProxyName,
        mode: Option<BackendMode>,
        guid: Option<&ProxyName>,
    ) -> Result<(), RuntimeError> {
        self.run(Command::add_backend(name, defaults, mode, guid))
            .await
            .map(drop)
    }

    /// `del backend` (3.4+): only an unpublished backend without servers.
    pub async fn del_backend(&self, name: &ProxyName) -> Result<(), RuntimeError> {
        self.run(Command::del_backend(name)).await.map(drop)
    }

    /// `publish backend` (3.4+): the backend takes traffic.
    pub async fn publish_backend(&self, name: &ProxyName) -> Result<(), RuntimeError> {
        self.run(Command::publish_backend(name)).await.map(drop)
    }

    /// `unpublish backend` (3.4+): the backend takes no new traffic.
    pub async fn unpublish_backend(&self, name: &ProxyName) -> Result<(), RuntimeError> {
        self.run(Command::unpublish_backend(name)).await.map(drop)
    }

    /// `enable dynamic-cookie backend` (`enable` true) or `disable dynamic-cookie backend`.
    pub async fn set_dynamic_cookies(
        &self,
        backend: &ProxyName,
        enable: bool,
    ) -> Result<(), RuntimeError> {
        self.run(Command::dynamic_cookies(backend, enable))
            .await
            .map(drop)
    }

    /// `set dynamic-cookie-key backend <b> <key>` (the key never shown).
    pub async fn set_dynamic_cookie_key(
        &self,
        backend: &ProxyName,
        key: &SecretWord,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_dynamic_cookie_key(backend, key))
            .await
            .map(drop)
    }

    /// `enable server`.
    pub async fn enable_server(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::enable_server(server)).await.map(drop)
    }

    /// `disable server`.
    pub async fn disable_server(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::disable_server(server)).await.map(drop)
    }

    /// `set server … state`.
    pub async fn set_server_state(
        &self,
        server: &ServerRef,
        state: ServerAdminState,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_server_state(server, state))
            .await
            .map(drop)
    }

    /// `set server … weight`.
    pub async fn set_weight(&self, server: &ServerRef, weight: Weight) -> Result<(), RuntimeError> {
        self.run(Command::set_weight(server, weight))
            .await
            .map(drop)
    }

    /// `get weight`.
    pub async fn get_weight(
        &self,
        server: &ServerRef,
    ) -> Result<parse::weight::Weight, RuntimeError> {
        self.query(Command::get_weight(server), parse::weight::parse)
            .await
    }

    /// `set maxconn server`.
    pub async fn set_maxconn_server(
        &self,
        server: &ServerRef,
        maxconn: u32,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_maxconn_server(server, maxconn))
            .await
            .map(drop)
    }

    /// `set maxconn frontend`.
    pub async fn set_maxconn_frontend(
        &self,
        frontend: &ProxyName,
        maxconn: u32,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_maxconn_frontend(frontend, maxconn))
            .await
            .map(drop)
    }

    /// `set maxconn global`.
    pub async fn set_maxconn_global(&self, maxconn: u32) -> Result<(), RuntimeError> {
        self.run(Command::set_maxconn_global(maxconn))
            .await
            .map(drop)
    }

    /// `show resolvers [<section>]`: every nameserver's counters.
    pub async fn show_resolvers(
        &self,
        section: Option<&SectionName>,
    ) -> Result<Vec<parse::ResolversSection>, RuntimeError> {
        self.query(Command::show_resolvers(section), parse::resolvers::parse)
            .await
    }

    /// `show peers [<section>]`: every peer's session and shared tables.
    pub async fn show_peers(
        &self,
        section: Option<&SectionName>,
    ) -> Result<Vec<parse::PeersSection>, RuntimeError> {
        self.query(Command::show_peers(section), parse::peers::parse)
            .await
    }

    /// `enable frontend`: resume a paused frontend.
    pub async fn enable_frontend(&self, frontend: &ProxyName) -> Result<(), RuntimeError> {
        self.run(Command::enable_frontend(frontend)).await.map(drop)
    }

    /// `disable frontend`: pause a frontend's listeners.
    pub async fn disable_frontend(&self, frontend: &ProxyName) -> Result<(), RuntimeError> {
        self.run(Command::disable_frontend(frontend))
            .await
            .map(drop)
    }

    /// `shutdown frontend`: stop a frontend until the next reload.
    pub async fn shutdown_frontend(&self, frontend: &ProxyName) -> Result<(), RuntimeError> {
        self.run(Command::shutdown_frontend(frontend))
            .await
            .map(drop)
    }

    /// `set rate-limit <kind> global <value>` (0 removes the limit).
    pub async fn set_rate_limit(
        &self,
        kind: RateLimitKind,
        value: u32,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_rate_limit(kind, value)?)
            .await
            .map(drop)
    }

    /// `set server … fqdn <name>`: HAProxy's answer (unchanged, or changed from/to).
    pub async fn set_server_fqdn(
        &self,
        server: &ServerRef,
        fqdn: &Fqdn,
    ) -> Result<String, RuntimeError> {
        self.run(Command::set_server_fqdn(server, fqdn)).await
    }

    /// `set server … addr … [port …]`; returns HAProxy's account of what changed.
    pub async fn set_server_addr(
        &self,
        server: &ServerRef,
        addr: &ServerAddress,
        port: Option<u16>,
    ) -> Result<String, RuntimeError> {
        self.run(Command::set_server_addr(server, addr, port)).await
    }

    // ---- health checks and agents --------------------------------------------------------------

    /// `enable health`.
    pub async fn enable_health(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::enable_health(server)).await.map(drop)
    }

    /// `disable health`.
    pub async fn disable_health(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::disable_health(server)).await.map(drop)
    }

    /// `enable agent`.
    pub async fn enable_agent(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::enable_agent(server)).await.map(drop)
    }

    /// `disable agent`.
    pub async fn disable_agent(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::disable_agent(server)).await.map(drop)
    }

    /// `set server … health`.
    pub async fn set_server_health(
        &self,
        server: &ServerRef,
        state: HealthState,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_server_health(server, state))
            .await
            .map(drop)
    }

    /// `set server … agent`.
    pub async fn set_server_agent(
        &self,
        server: &ServerRef,
        state: AgentState,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_server_agent(server, state))
            .await
            .map(drop)
    }

    /// `set server … agent-send`.
    pub async fn set_agent_send(&self, server: &ServerRef, text: &str) -> Result<(), RuntimeError> {
        let text = args::text("agent-send string", text, MAX_TEXT)?;
        self.run(Command::set_agent_send(server, &text))
            .await
            .map(drop)
    }

    /// `set server … check-port`.
    pub async fn set_server_check_port(
        &self,
        server: &ServerRef,
        port: u16,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_server_check_port(server, port))
            .await
            .map(drop)
    }

    /// `set server … check-addr <ip> [port <p>]`.
    pub async fn set_server_check_addr(
        &self,
        server: &ServerRef,
        addr: &ServerAddress,
        port: Option<u16>,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_server_check_addr(server, addr, port))
            .await
            .map(drop)
    }

    /// `set server … agent-addr <ip> [port <p>]`.
    pub async fn set_server_agent_addr(
        &self,
        server: &ServerRef,
        addr: &ServerAddress,
        port: Option<u16>,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_server_agent_addr(server, addr, port))
            .await
            .map(drop)
    }

    /// `set server … agent-port <p>`.
    pub async fn set_server_agent_port(
        &self,
        server: &ServerRef,
        port: u16,
    ) -> Result<(), RuntimeError> {
        self.run(Command::set_server_agent_port(server, port))
            .await
            .map(drop)
    }

    // ---- sessions ----------------------------------------------------------------------------

    /// `show sess`.
    pub async fn show_sessions(&self) -> Result<Vec<parse::sess::SessionSummary>, RuntimeError> {
        self.query(Command::show_sess(), parse::sess::parse_list)
            .await
    }

    /// `show sess frontend|backend|server <name>`: the streams of `scope` on 3.2+, every stream
    /// on earlier versions (which ignore the words): filter the answer too.
    pub async fn show_sessions_of(
        &self,
        scope: &StreamScope,
    ) -> Result<Vec<parse::sess::SessionSummary>, RuntimeError> {
        self.query(Command::show_sess_of(scope), parse::sess::parse_list)
            .await
    }

    /// `show sess <id>`.
    pub async fn show_session(
        &self,
        id: &SessionId,
    ) -> Result<parse::sess::SessionDetail, RuntimeError> {
        self.query(Command::show_sess_id(id), parse::sess::parse_detail)
            .await
    }

    /// `shutdown session <id>`.
    pub async fn shutdown_session(&self, id: &SessionId) -> Result<(), RuntimeError> {
        self.run(Command::shutdown_session(id)).await.map(drop)
    }

    /// `shutdown sessions server <b>/<s>`.
    pub async fn shutdown_server_sessions(&self, server: &ServerRef) -> Result<(), RuntimeError> {
        self.run(Command::shutdown_server_sessions(server))
            .await
            .map(drop)
    }

    // ---- the TLS store ---------------------------------------------------------------------------

    /// `show ssl cert`: the certificate files and the open transaction.
    pub async fn show_ssl_certs(&self) -> Result<parse::ssl::StoreList, RuntimeError> {
        self.query(Command::show_ssl_certs(), parse::ssl::parse_store_list)
            .await
    }

    /// `show ssl cert <name>` (`pending`: the open transaction's `*<name>`).
    pub async fn show_ssl_cert(
        &self,
        name: &TlsFileName,
        pending: bool,
    ) -> Result<parse::ssl::CertDetails, RuntimeError> {
        self.query(
            Command::show_ssl_cert(name, pending),
            parse::ssl::parse_cert_details,
        )
        .await
    }

    /// `show ssl crt-list`: the crt-list files.
    pub async fn show_crt_lists(&self) -> Result<Vec<String>, RuntimeError> {
        self.query(Command::show_crt_lists(), parse::ssl::parse_crt_list_names)
            .await
    }

    /// `show ssl crt-list -n <list>`: its lines.
    pub async fn show_crt_list(
        &self,
        list: &TlsFileName,
    ) -> Result<parse::ssl::CrtList, RuntimeError> {
        self.query(Command::show_crt_list(list), parse::ssl::parse_crt_list)
            .await
    }

    /// `show ssl ca-file`: the CA files.
    pub async fn show_ca_files(&self) -> Result<parse::ssl::CaFileList, RuntimeError> {
        self.query(Command::show_ca_files(), parse::ssl::parse_ca_file_list)
            .await
    }

    /// `show ssl ca-file <name>`: its certificates (`pending`: the open transaction's
    /// `*<name>`).
    pub async fn show_ca_file(
        &self,
        name: &TlsFileName,
        pending: bool,
    ) -> Result<Vec<parse::ssl::CertDetails>, RuntimeError> {
        self.query(
            Command::show_ca_file(name, pending),
            parse::ssl::parse_ca_file_details,
        )
        .await
    }

    /// `show ssl crl-file`: the CRL files.
    pub async fn show_crl_files(&self) -> Result<parse::ssl::StoreList, RuntimeError> {
        self.query(Command::show_crl_files(), parse::ssl::parse_store_list)
            .await
    }

    /// `show ssl ocsp-response`: the OCSP responses HAProxy staples.
    pub async fn show_ocsp_responses(&self) -> Result<Vec<parse::ocsp::OcspId>, RuntimeError> {
        self.query(Command::show_ocsp_responses(), parse::ocsp::parse_ocsp_ids)
            .await
    }

    /// `show ssl ocsp-response <key>`: one stapled response.
    pub async fn show_ocsp_response(
        &self,
        key: &OcspKey,
    ) -> Result<parse::ocsp::OcspResponse, RuntimeError> {
        self.query(
            Command::show_ocsp_response(key),
            parse::ocsp::parse_ocsp_response,
        )
        .await
    }

    /// `set ssl ocsp-response <<` + `base64`: staple a new response.
    pub async fn set_ocsp_response(&self, base64: Payload) -> Result<(), RuntimeError> {
        self.run(Command::set_ocsp_response(base64)).await.map(drop)
    }

    /// `update ssl ocsp-response <name>` (2.8+): ask the responder for a fresh response, in
    /// the background.
    pub async fn update_ocsp_response(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::update_ocsp_response(name))
            .await
            .map(drop)
    }

    /// `acme status` (3.2+): the certificates renewed through ACME.
    pub async fn acme_status(&self) -> Result<Vec<parse::acme::AcmeRow>, RuntimeError> {
        self.query(Command::acme_status(), parse::acme::parse_acme_status)
            .await
    }

    /// `acme renew <name>` (3.2+): start renewing a certificate through ACME, in the
    /// background.
    pub async fn acme_renew(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::acme_renew(name)).await.map(drop)
    }

    /// `show ssl sni` (3.2+): which certificate each frontend serves for each name.
    pub async fn show_ssl_sni(&self) -> Result<Vec<parse::ssl::SniRow>, RuntimeError> {
        self.query(Command::show_ssl_sni(), parse::ssl::parse_sni)
            .await
    }

    /// `set ssl cert <name> <<` + `pem`: opens the transaction. Answers whether HAProxy created
    /// one or updated an open one, and the certificate it says the transaction is about.
    pub async fn set_ssl_cert(
        &self,
        name: &TlsFileName,
        pem: Payload,
    ) -> Result<(parse::ssl::TransactionStart, String), RuntimeError> {
        self.query(Command::set_ssl_cert(name, pem), |reply| {
            parse::ssl::parse_transaction_start(reply).ok_or_else(|| {
                ParseError::new(1, "no `Transaction created|updated for certificate` line")
            })
        })
        .await
    }

    /// `commit ssl cert <name>`: serve the transaction's certificate.
    pub async fn commit_ssl_cert(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::commit_ssl_cert(name)).await.map(drop)
    }

    /// `abort ssl cert <name>`: drop the transaction.
    pub async fn abort_ssl_cert(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::abort_ssl_cert(name)).await.map(drop)
    }

    /// `set ssl ca-file <name> <<` + `pem`: opens the CA-file transaction. Answers whether
    /// HAProxy created one or updated an open one, and the file it says it is about.
    pub async fn set_ssl_ca_file(
        &self,
        name: &TlsFileName,
        pem: Payload,
    ) -> Result<(parse::ssl::TransactionStart, String), RuntimeError> {
        self.query(Command::set_ssl_ca_file(name, pem), |reply| {
            parse::ssl::parse_transaction_start(reply)
                .ok_or_else(|| ParseError::new(1, "no `transaction created|updated for CA` line"))
        })
        .await
    }

    /// `commit ssl ca-file <name>`: the binds verify with the new file.
    pub async fn commit_ssl_ca_file(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::commit_ssl_ca_file(name)).await.map(drop)
    }

    /// `abort ssl ca-file <name>`: drop the CA-file transaction.
    pub async fn abort_ssl_ca_file(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::abort_ssl_ca_file(name)).await.map(drop)
    }

    /// `show ssl crl-file <name>` (`pending`: the open transaction's `*<name>`).
    pub async fn show_crl_file(
        &self,
        name: &TlsFileName,
        pending: bool,
    ) -> Result<parse::ssl::CrlFile, RuntimeError> {
        self.query(
            Command::show_crl_file(name, pending),
            parse::ssl::parse_crl_details,
        )
        .await
    }

    /// `set ssl crl-file <name> <<` + `pem`: opens the CRL-file transaction.
    pub async fn set_ssl_crl_file(
        &self,
        name: &TlsFileName,
        pem: Payload,
    ) -> Result<(parse::ssl::TransactionStart, String), RuntimeError> {
        self.query(Command::set_ssl_crl_file(name, pem), |reply| {
            parse::ssl::parse_transaction_start(reply)
                .ok_or_else(|| ParseError::new(1, "no `transaction created|updated for CRL` line"))
        })
        .await
    }

    /// `commit ssl crl-file <name>`.
    pub async fn commit_ssl_crl_file(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::commit_ssl_crl_file(name)).await.map(drop)
    }

    /// `abort ssl crl-file <name>`.
    pub async fn abort_ssl_crl_file(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::abort_ssl_crl_file(name)).await.map(drop)
    }

    /// `new ssl cert <name>`: an empty certificate store, to fill with [`Self::set_ssl_cert`].
    pub async fn new_ssl_cert(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::new_ssl_cert(name)).await.map(drop)
    }

    /// `del ssl cert <name>`: forget a certificate nothing uses.
    pub async fn del_ssl_cert(&self, name: &TlsFileName) -> Result<(), RuntimeError> {
        self.run(Command::del_ssl_cert(name)).await.map(drop)
    }

    /// `new ssl ca-file <name>`, or with `crl` `new ssl crl-file <name>`: an empty file.
    pub async fn new_ssl_trust_file(
        &self,
        name: &TlsFileName,
        crl: bool,
    ) -> Result<(), RuntimeError> {
        self.run(Command::new_ssl_trust_file(name, crl))
            .await
            .map(drop)
    }

    /// `del ssl ca-file|crl-file <name>`: forget a file nothing uses.
    pub async fn del_ssl_trust_file(
        &self,
        name: &TlsFileName,
        crl: bool,
    ) -> Result<(), RuntimeError> {
        self.run(Command::del_ssl_trust_file(name, crl))
            .await
            .map(drop)
    }

    /// `add ssl crt-list <list> <<` + `line`: serve a committed certificate on the list's binds.
    /// Answers HAProxy's warnings, if it printed any before `Success!`.
    pub async fn add_crt_list_line(
        &self,
        list: &TlsFileName,
        line: &CrtListLine,
    ) -> Result<Vec<String>, RuntimeError> {
        let reply = self.run(Command::add_crt_list_line(list, line)).await?;
        Ok(parse::ssl::insertion_warnings(&reply))
    }

    /// `del ssl crt-list <list> <certificate>:<line>`: remove one line.
    pub async fn del_crt_list_line(
        &self,
        list: &TlsFileName,
        certificate: &TlsFileName,
        line: u32,
    ) -> Result<(), RuntimeError> {
        self.run(Command::del_crt_list_line(list, certificate, line))
            .await
            .map(drop)
    }

    // ---- maps and ACLs -------------------------------------------------------------------------

    /// `show map <map>`: entries.
    pub async fn show_map(&self, map: &MapName) -> Result<Vec<parse::map::MapEntry>, RuntimeError> {
        self.query(
            Command::show_list_entries(ListKind::Map, map),
            parse::map::parse_map_entries,
        )
        .await
    }

    /// `show acl <acl>`: patterns.
    pub async fn show_acl(&self, acl: &MapName) -> Result<Vec<parse::map::AclEntry>, RuntimeError> {
        self.query(
            Command::show_list_entries(ListKind::Acl, acl),
            parse::map::parse_acl_entries,
        )
        .await
    }

    /// `get map <map> <value>`: what the map returns for a sample value.
    pub async fn get_map(
        &self,
        map: &MapName,
        value: &str,
    ) -> Result<parse::map::MapLookup, RuntimeError> {
        let value = args::text("lookup value", value, MAX_TEXT)?;
        self.query(
            Command::get_list(ListKind::Map, map, &value),
            parse::map::parse_get_map,
        )
        .await
    }

    /// `get acl <acl> <value>`: whether a sample value matches.
    pub async fn get_acl(
        &self,
        acl: &MapName,
        value: &str,
    ) -> Result<parse::map::AclLookup, RuntimeError> {
        let value = args::text("lookup value", value, MAX_TEXT)?;
        self.query(
            Command::get_list(ListKind::Acl, acl, &value),
            parse::map::parse_get_acl,
        )
        .await
    }

    /// `add map <map> <key> <value>`.
    pub async fn add_map_entry(
        &self,
        map: &MapName,
        key: &str,
        value: &str,
    ) -> Result<(), RuntimeError> {
        let key = args::text("map key", key, MAX_TEXT)?;
        let value = args::text("map value", value, MAX_TEXT)?;
        self.run(Command::add_map_entry(map, &key, &value))
            .await
            .map(drop)
    }

    /// `set map <map> <key> <value>`.
    pub async fn set_map_entry(
        &self,
        map: &MapName,
        key: &str,
        value: &str,
    ) -> Result<(), RuntimeError> {
        let key = args::text("map key", key, MAX_TEXT)?;
        let value = args::text("map value", value, MAX_TEXT)?;
        self.run(Command::set_map_entry(map, &key, &value))
            .await
            .map(drop)
    }

    /// `del map <map> <key>`.
    pub async fn del_map_entry(&self, map: &MapName, key: &str) -> Result<(), RuntimeError> {
        let key = args::text("map key", key, MAX_TEXT)?;
        self.run(Command::del_list_entry(ListKind::Map, map, &key))
            .await
            .map(drop)
    }

    /// `add acl <acl> <pattern>`.
    pub async fn add_acl_entry(&self, acl: &MapName, pattern: &str) -> Result<(), RuntimeError> {
        let pattern = args::text("ACL pattern", pattern, MAX_TEXT)?;
        self.run(Command::add_acl_entry(acl, &pattern))
            .await
            .map(drop)
    }

    /// `del acl <acl> <pattern>`.
    pub async fn del_acl_entry(&self, acl: &MapName, pattern: &str) -> Result<(), RuntimeError> {
        let pattern = args::text("ACL pattern", pattern, MAX_TEXT)?;
        self.run(Command::del_list_entry(ListKind::Acl, acl, &pattern))
            .await
            .map(drop)
    }

    /// `clear map` / `clear acl`.
    pub async fn clear_list(&self, kind: ListKind, name: &MapName) -> Result<(), RuntimeError> {
        self.run(Command::clear_list(kind, name)).await.map(drop)
    }

    /// Atomically replaces every entry of a map: prepare a version, load it, commit it.
    /// Returns the committed version. On any failure the prepared version is discarded and the
    /// map keeps its current contents.
    pub async fn replace_map(
        &self,
        map: &MapName,
        entries: &[(String, String)],
    ) -> Result<u32, RuntimeError> {
        let lines = entries
            .iter()
            .map(|(k, v)| map_payload_line(k, v))
            .collect::<Result<Vec<_>, _>>()?;
        self.replace_list(ListKind::Map, map, lines).await
    }

    /// Atomically replaces every pattern of an ACL (see [`Self::replace_map`]).
    pub async fn replace_acl(
        &self,
        acl: &MapName,
        patterns: &[String],
    ) -> Result<u32, RuntimeError> {
        let lines = patterns
            .iter()
            .map(|p| payload_text("ACL pattern", p))
            .collect::<Result<Vec<_>, _>>()?;
        self.replace_list(ListKind::Acl, acl, lines).await
    }

    async fn replace_list(
        &self,
        kind: ListKind,
        name: &MapName,
        lines: Vec<String>,
    ) -> Result<u32, RuntimeError> {
        if self.is_read_only() {
            return Err(RuntimeError::ReadOnly {
                command: format!("prepare {} {name}", kind.as_str()),
            });
        }
        // Build every loading command before anything is sent, so that a line that cannot be
        // encoded fails here with nothing prepared. Map entries go in payload chunks that each
        // fit the line limit; ACL patterns go one per command (2.6 takes no `add acl` payload).
        let header = format!("add {} @4294967295 {} <<\n", kind.as_str(), name.as_str()).len() + 1;
        let loads: Vec<VersionLoad> = match kind {
            ListKind::Map => chunk_lines(lines, MAX_LINE_BYTES - header)?
                .into_iter()
                .map(|chunk| Ok(VersionLoad::MapChunk(Payload::new(chunk)?)))
                .collect::<Result<_, RuntimeError>>()?,
            ListKind::Acl => lines
                .into_iter()
                .map(|pattern| {
                    Command::add_acl_entry_versioned(name, u32::MAX, &pattern).encode()?;
                    Ok(VersionLoad::AclPattern(pattern))
                })
                .collect::<Result<_, RuntimeError>>()?,
        };

        let prepared = self.run(Command::prepare_list(kind, name)).await?;
        let version =
            parse::map::new_version(&prepared).ok_or_else(|| RuntimeError::Unrecognized {
                command: format!("prepare {} {name}", kind.as_str()),
                message: prepared.clone(),
            })?;
        let loaded = async {
            for load in &loads {
                self.run(load.command(name, version)).await?;
            }
            Ok::<(), RuntimeError>(())
        }
        .await;
        if let Err(e) = loaded {
            // Nothing was committed: discard the half-loaded version; the current one was never
            // touched.
            self.discard_version(kind, name, version).await;
            return Err(e);
        }
        match self.run(Command::commit_list(kind, name, version)).await {
            Ok(_) => {}
            // HAProxy refused the commit, so the version was not made current: discard it.
            Err(e @ RuntimeError::Refused { .. }) => {
                self.discard_version(kind, name, version).await;
                return Err(e);
            }
            // The commit's outcome is unknown (I/O error, timeout, unrecognised reply): it may
            // have been applied, and `clear @ver` would then empty the live map. Leave it alone.
            Err(e) => return Err(e),
        }
        Ok(version)
    }

    /// Best-effort `clear <kind> @<ver>` of a prepared version that was never committed.
    async fn discard_version(&self, kind: ListKind, name: &MapName, version: u32) {
        if let Err(cleanup) = self
            .run(Command::clear_list_version(kind, name, version))
            .await
        {
            tracing::warn!(%name, version, error = %cleanup, "could not discard the prepared version");
        }
    }

    // ---- stick tables ----------------------------------------------------------------------------

    /// `show table <name> [filter]`.
    pub async fn show_table(
        &self,
        name: &TableName,
        filter: &TableFilter,
    ) -> Result<parse::table::TableDump, RuntimeError> {
        self.query(
            Command::show_table(name, filter),
            parse::table::parse_entries,
        )
        .await
    }

    /// `set table <name> key <key> [data.<type> <value>]*`.
    pub async fn set_table_entry(
        &self,
        name: &TableName,
        key: &str,
        data: &[(String, i64)],
    ) -> Result<(), RuntimeError> {
        let key = args::text("table key", key, MAX_TEXT)?;
        for (t, _) in data {
            args::data_type(t)?;
        }
        self.run(Command::set_table_entry(name, &key, data))
            .await
            .map(drop)
    }

    /// `clear table <name> [filter]`.
    pub async fn clear_table(
        &self,
        name: &TableName,
        filter: &TableFilter,
    ) -> Result<(), RuntimeError> {
        if let TableFilter::Key(k) = filter {
            args::text("table key", k, MAX_TEXT)?;
        }
        if let TableFilter::Data { data_type, .. } = filter {
            args::data_type(data_type)?;
        }
        self.run(Command::clear_table(name, filter)).await.map(drop)
    }

    // ---- misc --------------------------------------------------------------------------------

    /// `echo <text>` (HAProxy 3.1+); older versions answer "Unknown command".
    pub async fn echo(&self, text: &str) -> Result<String, RuntimeError> {
        let text = args::text("echo text", text, MAX_TEXT)?;
        self.query(Command::echo(&text), |t| Ok(t.trim_end().to_owned()))
            .await
    }

    /// `help`.
    pub async fn help(&self) -> Result<parse::help::HelpReport, RuntimeError> {
        self.query(Command::help(), parse::help::parse).await
    }

    /// `show cli level`.
    pub async fn show_cli_level(&self) -> Result<parse::cli_level::CliLevel, RuntimeError> {
        self.query(Command::show_cli_level(), parse::cli_level::parse)
            .await
    }

    /// `show startup-logs`: the messages HAProxy printed while starting.
    pub async fn show_startup_logs(&self) -> Result<Vec<parse::StartupMessage>, RuntimeError> {
        self.query(Command::show_startup_logs(), parse::startup_logs::parse)
            .await
    }

    /// `show proc` on the master CLI.
    pub async fn show_proc(&self) -> Result<parse::proc_list::ProcList, RuntimeError> {
        self.query(Command::show_proc(), parse::proc_list::parse)
            .await
    }

    /// `reload` on the master CLI; returns HAProxy's report (empty on 2.6).
    pub async fn reload(&self) -> Result<String, RuntimeError> {
        self.run(Command::reload()).await
    }
}

/// The reply text from the raw bytes, exactly as [`frame`] makes it, without copying a
/// reply that is valid UTF-8 (every reply but captured traffic and odd map keys): large replies
/// are megabytes.
fn into_text(raw: Vec<u8>) -> String {
    match String::from_utf8(raw) {
        Ok(mut text) => {
            if text.ends_with('\n') {
                text.pop();
            }
            text
        }
        Err(e) => frame(e.as_bytes()),
    }
}

/// One step of loading a prepared map/ACL version, built before the version number is known.
enum VersionLoad {
    /// A chunk of `key value` lines for `add map @<ver> <map> <<`.
    MapChunk(Payload),
    /// One pattern for `add acl @<ver> <acl> <pattern>`.
    AclPattern(String),
}

impl VersionLoad {
    fn command(&self, name: &MapName, version: u32) -> Command {
        match self {
            Self::MapChunk(p) => Command::add_list_payload(ListKind::Map, name, version, p.clone()),
            Self::AclPattern(p) => Command::add_acl_entry_versioned(name, version, p),
        }
    }
}

/// Checks free text that goes into a payload line: no line breaks and no blanks at either end
/// (HAProxy would trim them, so the stored entry would differ from the one asked for).
fn payload_text(argument: &'static str, value: &str) -> Result<String, RuntimeError> {
    let v = args::text(argument, value, MAX_TEXT)?;
    if v.trim_matches([' ', '\t']) != v {
        return Err(args::ArgError::new(
            argument,
            value,
            "leading or trailing blanks would be lost",
        )
        .into());
    }
    Ok(v)
}

/// One `key value` payload line. The key is the first word, so it cannot hold blanks.
fn map_payload_line(key: &str, value: &str) -> Result<String, RuntimeError> {
    let key = payload_text("map key", key)?;
    if key.contains([' ', '\t']) {
        return Err(args::ArgError::new(
            "map key",
            &key,
            "a key replaced in bulk cannot contain blanks (add it on its own with add_map_entry)",
        )
        .into());
    }
    let value = payload_text("map value", value)?;
    Ok(format!("{key} {value}"))
}

/// Groups payload lines into chunks of at most `budget` encoded bytes each.
fn chunk_lines(lines: Vec<String>, budget: usize) -> Result<Vec<Vec<String>>, RuntimeError> {
    let mut chunks: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut used = 0usize;
    for line in lines {
        let len = line.len() + 1;
        if len > budget {
            return Err(super::command::EncodeError::LineTooLong { len }.into());
        }
        if used + len > budget && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        used += len;
        current.push(line);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_text_is_framed_like_frame() {
        for raw in [
            &b""[..],
            b"\n",
            b"\n\n",
            b"ok",
            b"ok\n",
            b"a\nb\n\n",
            b"caf\xc3\xa9\n",
            b"bad \xff utf-8\n",
            b"\xc3\n",
        ] {
            assert_eq!(into_text(raw.to_vec()), frame(raw), "{raw:?}");
        }
    }

    #[test]
    fn payload_lines_are_checked() {
        assert_eq!(map_payload_line("k", "v w").unwrap(), "k v w");
        assert!(map_payload_line("k k", "v").is_err());
        assert!(map_payload_line("k", " v").is_err());
        assert!(map_payload_line("k", "v\n").is_err());
    }

    #[test]
    fn chunks_respect_the_budget() {
        let lines: Vec<String> = (0..100).map(|i| format!("key{i:03} value")).collect();
        let chunks = chunk_lines(lines.clone(), 100).unwrap();
        assert!(chunks.len() > 1);
        for c in &chunks {
            assert!(c.iter().map(|l| l.len() + 1).sum::<usize>() <= 100);
        }
        assert_eq!(chunks.concat(), lines);
        assert!(chunk_lines(vec!["x".repeat(200)], 100).is_err());
    }
}
