//! Cases of chaoslib 1.44.0's own test-suite that need a real process
//! around them: `test_process_provider.py` and `test_loader.py`, as runs
//! and validations of the `chaosprom` binary.

mod common;

use std::process::Command;

use chaosprom_testkit::fault::{FaultServer, Reply};
use serde_json::{Value, json};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `experiment` from `dir` (its working folder) with `home` as HOME.
fn run_in(
    dir: &std::path::Path,
    home: &std::path::Path,
    experiment: &Value,
) -> (std::process::Output, Value) {
    let file = dir.join("experiment.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    let journal = dir.join("journal.json");
    let out = Command::new(common::chaosprom())
        .args(["run", "experiment.json", "--journal-path", "journal.json"])
        .current_dir(dir)
        .env("HOME", home)
        .output()
        .unwrap();
    let j = serde_json::from_str(&std::fs::read_to_string(journal).unwrap_or_default())
        .unwrap_or(Value::Null);
    (out, j)
}

#[test]
fn test_process_provider_py() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("scripts")).unwrap();
    let script = home.join("scripts/dummy.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let process = |name: &str, path: &str, arguments: Value| json!({"type": "action", "name": name, "provider": {"type": "process", "path": path, "arguments": arguments}});
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            // test_process_not_utf8_cannot_fail: 'pythön' in UTF-16 with its mark.
            process("utf16", "printf", json!(["\\377\\376p\\000y\\000t\\000h\\000\\366\\000n\\000"])),
            // test_process_homedir_relative_path
            process("home", "~/scripts/dummy.sh", json!("")),
            // test_process_absolute_path
            process("absolute", script.to_str().unwrap(), json!("")),
            // test_process_cwd_relative_path
            process("relative", "home/scripts/dummy.sh", json!("")),
            // test_process_non_exit_zero_warning
            process("non-zero", "sh", json!(["-c", "exit 1"])),
        ]
    });
    let (out, j) = run_in(dir.path(), &home, &experiment);
    let err = text(&out.stderr);
    assert_eq!(j["run"][0]["output"]["stdout"], "pythön", "{j}");
    assert_eq!(j["run"][0]["output"]["stderr"], "");
    for i in 1..=3 {
        assert_eq!(j["run"][i]["output"]["status"], 0, "{i}: {j}");
    }
    assert_eq!(j["run"][4]["output"]["status"], 1);
    assert!(
        err.contains("This process returned a non-zero exit code"),
        "{err}"
    );
}

#[test]
fn test_loader_py() {
    let dir = tempfile::tempdir().unwrap();
    let experiment = json!({"title": "t", "description": "d",
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]});
    let yaml = "title: t\ndescription: d\nmethod:\n  - {type: action, name: a, provider: {type: process, path: \"true\"}}\n";
    let validate = |source: &str| {
        Command::new(common::chaosprom())
            .args(["validate", source])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    // test_load_from_file, test_yaml_safe_load_from_file
    std::fs::write(dir.path().join("e.json"), experiment.to_string()).unwrap();
    std::fs::write(dir.path().join("e.yaml"), yaml).unwrap();
    assert_eq!(validate("e.json").status.code(), Some(0));
    assert_eq!(validate("e.yaml").status.code(), Some(0));
    // test_load_invalid_filepath
    let o = validate("/does/not/exist.json");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("/does/not/exist.json"),
        "{}",
        text(&o.stderr)
    );
    // test_load_from_http_without_auth, test_yaml_safe_load_from_http,
    // test_can_load_yaml_from_plain_text_http,
    // test_can_load_json_from_plain_text_http,
    // test_http_loads_fails_when_known_type
    let cases = [
        (Reply::json(&experiment.to_string()), "experiment.json", 0),
        (
            Reply::status("200 OK", "content-type: application/x-yaml\r\n", yaml),
            "experiment.yaml",
            0,
        ),
        (
            Reply::status("200 OK", "content-type: text/plain\r\n", yaml),
            "experiment",
            0,
        ),
        (
            Reply::status(
                "200 OK",
                "content-type: text/plain\r\n",
                experiment.to_string(),
            ),
            "experiment",
            0,
        ),
        (
            Reply::status("200 OK", "content-type: text/css\r\n", "body {}"),
            "experiment.yaml",
            1,
        ),
        (
            Reply::status("401 Unauthorized", "", "no"),
            "experiment.json",
            1,
        ),
    ];
    for (reply, path, code) in cases {
        let server = FaultServer::start(vec![reply]).unwrap();
        let o = validate(&format!("{}/{path}", server.url()));
        assert_eq!(o.status.code(), Some(code), "{path}: {}", text(&o.stderr));
    }
}

/// `chaosprom validate SOURCE` with these flags and environment.
fn validate_with(source: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(common::chaosprom());
    command
        .arg("validate")
        .arg(source)
        .args(args)
        .env_remove("CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[test]
fn test_loader_py_auths_and_tls() {
    let experiment = json!({"title": "t", "description": "d",
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]});
    let dir = tempfile::tempdir().unwrap();
    let settings_for = |host: &str| {
        let file = dir
            .path()
            .join(format!("settings-{}.yaml", host.replace([':', '.'], "-")));
        std::fs::write(
            &file,
            json!({"auths": {host: {"type": "bearer", "value": "XYZ-secret"}}}).to_string(),
        )
        .unwrap();
        file.to_str().unwrap().to_owned()
    };
    let server = |reply: Reply| FaultServer::start(vec![reply]).unwrap();
    let authorization = |server: &FaultServer| {
        server.requests()[0]
            .lines()
            .find_map(|l| {
                l.strip_prefix("authorization: ")
                    .or_else(|| l.strip_prefix("Authorization: "))
            })
            .map(str::to_owned)
    };

    // test_load_from_http_with_auth: the settings' entry for host:port.
    let s = server(Reply::json(&experiment.to_string()));
    let host = s.url().trim_start_matches("http://").to_owned();
    let o = validate_with(
        &format!("{}/e.json", s.url()),
        &["--settings", &settings_for(&host)],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(authorization(&s).as_deref(), Some("bearer XYZ-secret"));
    assert!(
        s.requests()[0]
            .to_ascii_lowercase()
            .contains("accept: application/json, application/x-yaml"),
        "{}",
        s.requests()[0]
    );

    // test_load_from_http_with_missing_auth: no entry for this host, no
    // header, and the server's 401 refuses the experiment.
    let s = server(Reply::status("401 Unauthorized", "", "who are you?"));
    let o = validate_with(
        &format!("{}/e.json", s.url()),
        &["--settings", &settings_for("elsewhere.example.com")],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("401"), "{}", text(&o.stderr));
    assert_eq!(authorization(&s), None);

    // test_load_from_http_with_auth_from_env: the environment's token wins.
    let s = server(Reply::json(&experiment.to_string()));
    let host = s.url().trim_start_matches("http://").to_owned();
    let o = validate_with(
        &format!("{}/e.json", s.url()),
        &["--settings", &settings_for(&host)],
        &[("CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN", " from-env \n")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(authorization(&s).as_deref(), Some("bearer from-env"));
    assert!(!text(&o.stderr).contains("XYZ-secret"));

    // test_https_with_verification, test_https_no_verification: a real
    // server (Prometheus, serving the file as a user asset) over TLS with
    // a certificate of a CA the system does not trust.
    let pki = chaosprom_testkit::pki::Pki::new().unwrap();
    let assets = tempfile::tempdir().unwrap();
    std::fs::write(
        assets.path().join("experiment.json"),
        experiment.to_string(),
    )
    .unwrap();
    let prom = chaosprom_testkit::Prometheus::builder()
        .web_config(pki.web_config(false))
        .arg(format!("--web.user-assets={}", assets.path().display()))
        .start()
        .unwrap();
    let url = format!("{}/user/experiment.json", prom.url());
    assert!(url.starts_with("https://"), "{url}");
    let o = validate_with(&url, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("TLS"), "{}", text(&o.stderr));
    let o = validate_with(&url, &["--no-verify-tls"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}
