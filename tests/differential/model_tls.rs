//! The model's certificates and crt-lists against a live HAProxy, on a TLS layout unlike the
//! capture's: a bind with its own default certificate (`crt`) beside a crt-list, a listen
//! section whose two binds load a second crt-list with a wildcard and a negative filter, and
//! `crt-base`. A live HAProxy runs it (natively, or the image named by `HAPROXY_LIVE_IMAGE`);
//! the model is seeded from what it answers and from its configuration, then both get the same
//! script — rotations (a key that does not match, an RSA certificate replacing an EC one, a
//! payload without its key), a new certificate added to a list and removed, the default
//! certificate's refusal, a certificate still in use, malformed lines — and every answer must
//! be the same, byte for byte.

use haproxy_emulator::Level;
use haproxy_emulator::model::Reply;

use crate::model_sequences::{live_version, seed_model};
use crate::support::{self, ConfiguredHaproxy, free_port};

const CONFIG: &str = "    crt-base {CONF}
    ca-base {CONF}

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe_one
    bind 127.0.0.1:{P1} ssl crt old.pem crt-list {CONF}/crt-list.txt ca-file ca.pem verify optional crl-file crl.pem
    default_backend be

listen li_edge
    bind 127.0.0.1:{P2} ssl crt-list {CONF}/edge.lst
    bind 127.0.0.1:{P3} ssl crt-list {CONF}/edge.lst
    server e1 127.0.0.1:1 disabled

backend be
    server s1 127.0.0.1:1 disabled
";

const EDGE_LIST: &str =
    "api.pem *.edge.test\nnew.pem [verify none] legacy.edge.test !x.edge.test\n";

/// One step: a command, and the PEM file (of the test certificates) sent as its payload.
struct Step {
    line: String,
    payload: Option<String>,
}

fn step(line: String) -> Step {
    Step {
        line,
        payload: None,
    }
}

fn with_payload(line: String, payload: String) -> Step {
    Step {
        line,
        payload: Some(payload.trim_end().to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_changes_certificates_and_crt_lists_like_live_haproxy() {
    const TEST: &str = "the_model_changes_certificates_and_crt_lists_like_live_haproxy";
    let Some(certs) = support::test_certificates(TEST) else {
        return;
    };
    let mut files = support::served_tls_files(certs.path());
    files.push(("edge.lst", EDGE_LIST.to_owned()));
    files.push((
        "new.pem",
        std::fs::read_to_string(certs.path().join("new.pem")).expect("new.pem"),
    ));
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let body = CONFIG
        .replace("{P1}", &free_port().to_string())
        .replace("{P2}", &free_port().to_string())
        .replace("{P3}", &free_port().to_string());
    let Some(live) = ConfiguredHaproxy::start_with_files(TEST, &body, &files).await else {
        return;
    };
    let version = live_version(&live.raw("show version"));
    let ask = |line: &str| live.raw(line);
    let (mut model, _) = seed_model(&ask, version);
    let (path, config) = live.config_file();
    model.apply_config_at(&path, &config);

    let conf = live.conf_dir();
    let cert = |name: &str| format!("{conf}/{name}");
    let pem = |file: &str| {
        std::fs::read_to_string(certs.path().join(file))
            .unwrap_or_else(|e| panic!("read {file}: {e}"))
    };
    let without_key = |file: &str| {
        let text = pem(file);
        text[..text.find("-----BEGIN PRIVATE KEY").expect("a key")].to_owned()
    };
    let list = cert("crt-list.txt");
    let edge = cert("edge.lst");
    let show_all = || {
        vec![
            step("show ssl cert".into()),
            step("show ssl crt-list".into()),
            step(format!("show ssl crt-list -n {list}")),
            step(format!("show ssl crt-list {edge}")),
            step("show ssl sni".into()),
        ]
    };
    let mut script = show_all();
    for c in ["site.pem", "api.pem", "old.pem", "new.pem"] {
        script.push(step(format!("show ssl cert {}", cert(c))));
    }
    script.extend([
        // A rotation, read back everywhere.
        with_payload(
            format!("set ssl cert {}", cert("site.pem")),
            pem("site-next.pem"),
        ),
        step("show ssl cert".into()),
        step(format!("show ssl cert *{}", cert("site.pem"))),
        step(format!("commit ssl cert {}", cert("site.pem"))),
        step(format!("show ssl cert {}", cert("site.pem"))),
        // A key that is not the certificate's: refused at commit, then aborted.
        with_payload(
            format!("set ssl cert {}", cert("old.pem")),
            pem("wrong-key.pem"),
        ),
        step(format!("commit ssl cert {}", cert("old.pem"))),
        step(format!("abort ssl cert {}", cert("api.pem"))),
        step(format!("abort ssl cert {}", cert("old.pem"))),
        step(format!("abort ssl cert {}", cert("old.pem"))),
        // An RSA certificate replacing an EC one (two binds load it), then one without its key.
        with_payload(
            format!("set ssl cert {}", cert("api.pem")),
            pem("site-nochain.pem"),
        ),
        with_payload(
            format!("set ssl cert {}", cert("site.pem")),
            pem("site.pem"),
        ),
        step(format!("commit ssl cert {}", cert("api.pem"))),
        with_payload(
            format!("set ssl cert {}", cert("new.pem")),
            without_key("site-short.pem"),
        ),
        step(format!("show ssl cert *{}", cert("new.pem"))),
        step(format!("commit ssl cert {}", cert("new.pem"))),
        with_payload(
            format!("set ssl cert {}", cert("nope.pem")),
            pem("site.pem"),
        ),
        with_payload(
            format!("set ssl cert {}", cert("old.pem")),
            "not a certificate".into(),
        ),
        step(format!("commit ssl cert {}", cert("old.pem"))),
    ]);
    script.extend(show_all());
    script.extend([
        // A new certificate: empty, filled, added to a list by a relative name, removed.
        step(format!("new ssl cert {}", cert("extra.pem"))),
        step(format!("new ssl cert {}", cert("extra.pem"))),
        step(format!("show ssl cert {}", cert("extra.pem"))),
        step(format!("add ssl crt-list {edge} {}", cert("extra.pem"))),
        with_payload(format!("set ssl cert {}", cert("extra.pem")), pem("new.pem")),
        step(format!("commit ssl cert {}", cert("extra.pem"))),
        with_payload(
            format!("add ssl crt-list {edge}"),
            "extra.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.2 no-ca-names] extra.edge.test *.Wild.test !no.wild.test".into(),
        ),
        with_payload(format!("add ssl crt-list {list}"), format!("{} [bogus 1]", cert("extra.pem"))),
        with_payload(format!("add ssl crt-list {list}"), format!("{} [alpn]", cert("extra.pem"))),
        step(format!("add ssl crt-list {} {}", cert("nope.lst"), cert("extra.pem"))),
        step(format!("add ssl crt-list {list} {}", cert("extra.pem"))),
        step(format!("show ssl crt-list -n {edge}")),
        step(format!("show ssl crt-list -n {list}")),
        step("show ssl sni".into()),
        step(format!("show ssl cert {}", cert("extra.pem"))),
        step(format!("del ssl cert {}", cert("extra.pem"))),
        step(format!("del ssl crt-list {list} {}", cert("extra.pem"))),
        step(format!("del ssl crt-list {edge} {}:9", cert("extra.pem"))),
        step(format!("del ssl crt-list {edge} {}:x", cert("extra.pem"))),
        step(format!("del ssl crt-list {edge} {}", cert("extra.pem"))),
        step(format!("del ssl cert {}", cert("extra.pem"))),
        step(format!("del ssl crt-list {list} {}", cert("extra.pem"))),
        step(format!("del ssl cert {}", cert("extra.pem"))),
        // Defaults: the edge list's first line serves both of its binds; fe_one has its own.
        step(format!("del ssl crt-list {edge} {}", cert("api.pem"))),
        step(format!("del ssl crt-list {list} {}:1", cert("site.pem"))),
        step(format!("del ssl cert {}", cert("site.pem"))),
        step(format!("del ssl crt-list {list} {}:3", cert("old.pem"))),
        step(format!("del ssl cert {}", cert("old.pem"))),
        step(format!("del ssl crt-list {} x.pem", cert("nope.lst"))),
        step(format!("show ssl crt-list {}", cert("nope.lst"))),
        step("show ssl crt-list -n".into()),
        step("new ssl cert".into()),
        step("abort ssl cert".into()),
    ]);
    // CA and CRL files: a CA file of four certificates (OpenSSL's store orders them), a
    // payload that is not PEM, a CRL file given a certificate only, then its list back.
    let (ca, crl) = (cert("ca.pem"), cert("crl.pem"));
    script.extend([
        step("show ssl ca-file".into()),
        step(format!("show ssl ca-file {ca}")),
        step("show ssl crl-file".into()),
        step(format!("show ssl crl-file {crl}")),
        with_payload(format!("set ssl ca-file {ca}"), "not a certificate".into()),
        with_payload(
            format!("set ssl ca-file {}", cert("nope.pem")),
            pem("ca.pem"),
        ),
        with_payload(
            format!("set ssl ca-file {ca}"),
            format!("{}{}", pem("ca.pem"), pem("site.pem")),
        ),
        step("show ssl ca-file".into()),
        step(format!("show ssl ca-file *{ca}")),
        with_payload(format!("set ssl crl-file {crl}"), pem("crl.pem")),
        step(format!("commit ssl ca-file {crl}")),
        step(format!("abort ssl ca-file {crl}")),
        step(format!("commit ssl ca-file {ca}")),
        step(format!("show ssl ca-file {ca}")),
        step(format!("commit ssl ca-file {ca}")),
        with_payload(format!("set ssl crl-file {crl}"), pem("ca.pem")),
        step(format!("show ssl crl-file *{crl}")),
        with_payload(format!("set ssl crl-file {crl}"), pem("crl.pem")),
        step("show ssl crl-file".into()),
        step(format!("show ssl crl-file *{crl}")),
        step(format!("commit ssl crl-file {crl}")),
        step(format!("show ssl crl-file {crl}")),
        step(format!("abort ssl crl-file {crl}")),
        step(format!("show ssl ca-file {}", cert("nope.pem"))),
        step(format!("show ssl crl-file {}", cert("nope.pem"))),
    ]);
    script.extend(show_all());

    let (mut compared, mut differences) = (0, Vec::new());
    for s in &script {
        let live_reply = match &s.payload {
            Some(p) => live.raw(&format!("{} <<\n{p}\n", s.line)),
            None => live.raw(&s.line),
        };
        let parsed = haproxy_emulator::tokenizer::parse_line(s.line.as_bytes(), version);
        let payload = s.payload.as_ref().map(|p| p.as_bytes());
        let model_reply =
            match model.execute_on(Level::Admin, Level::Admin, &parsed.commands[0], payload) {
                Reply::Body(body) => String::from_utf8_lossy(&body).into_owned(),
                // `show ssl sni` before 3.2 is unknown to HAProxy too (the session answers it).
                Reply::NotModelled => {
                    assert!(
                        s.line == "show ssl sni"
                            && version < haproxy_emulator::Version::new(3, 2, 0),
                        "the model does not execute `{}`",
                        s.line
                    );
                    continue;
                }
            };
        compared += 1;
        // The CLI ends every answer with one more newline.
        let live_body = live_reply.strip_suffix('\n').unwrap_or(&live_reply);
        if live_body != model_reply {
            differences.push(format!(
                "`{}`\n--- HAProxy\n{live_body:?}\n--- model\n{model_reply:?}",
                s.line
            ));
        }
    }
    eprintln!(
        "model TLS differential, HAProxy {version}: {} steps, {compared} compared, {} differences",
        script.len(),
        differences.len()
    );
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}
