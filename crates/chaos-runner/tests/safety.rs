//! A panic in an extension fails its activity, never the run; and no
//! experiment, however odd, makes `validate` or a dry run panic.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chaos_runner::{Dry, Extension, Runner};
use proptest::prelude::*;
use serde_json::{Value, json};

/// `test.ext`: `panic` panics, `count` counts its calls.
struct Test {
    calls: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Extension for Test {
    async fn call(&self, function: &str, _: &Value, _: &Value, _: &Value) -> Result<Value, String> {
        match function {
            "panic" => panic!("the extension has a bug"),
            _ => {
                self.calls.fetch_add(1, Ordering::SeqCst);
                Ok(json!(true))
            }
        }
    }
}

fn runner(calls: &Arc<AtomicUsize>) -> Runner {
    Runner::new().extension(
        "test.ext",
        Arc::new(Test {
            calls: calls.clone(),
        }),
    )
}

fn python(kind: &str, name: &str, func: &str) -> Value {
    json!({"type": kind, "name": name,
           "provider": {"type": "python", "module": "test.ext", "func": func}})
}

#[tokio::test(flavor = "current_thread")]
async fn a_panicking_provider_fails_its_activity_and_the_rollbacks_still_run() {
    let calls = Arc::new(AtomicUsize::new(0));
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [python("action", "buggy", "panic"), python("action", "after", "count")],
        "rollbacks": [python("action", "undo", "count")]
    });
    let journal = runner(&calls)
        .rollback_strategy(chaos_runner::RollbackStrategy::Always)
        .run(&experiment)
        .await
        .unwrap();
    assert_eq!(journal["run"][0]["status"], "failed", "{journal}");
    let exception = journal["run"][0]["exception"].to_string();
    assert!(
        exception.contains("the provider panicked: the extension has a bug"),
        "{exception}"
    );
    assert_eq!(journal["rollbacks"][0]["status"], "succeeded", "{journal}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the method went on and the rollback ran"
    );

    // In the hypothesis, and as a probe tolerance, too.
    let mut probe = python("probe", "buggy", "panic");
    probe["tolerance"] = json!(true);
    let mut judged = python("probe", "judged", "count");
    judged["tolerance"] = json!({"type": "probe", "name": "judge",
        "provider": {"type": "python", "module": "test.ext", "func": "panic"}});
    for probe in [probe, judged] {
        let experiment = json!({
            "title": "t", "description": "d",
            "steady-state-hypothesis": {"title": "h", "probes": [probe]},
            "method": [python("action", "fault", "count")],
            "rollbacks": [python("action", "undo", "count")]
        });
        let journal = runner(&calls)
            .rollback_strategy(chaos_runner::RollbackStrategy::Always)
            .run(&experiment)
            .await
            .unwrap();
        assert_eq!(
            journal["steady_states"]["before"]["steady_state_met"], false,
            "{journal}"
        );
        assert_eq!(journal["rollbacks"][0]["status"], "succeeded", "{journal}");
    }
}

/// Numbers at the extremes, as JSON has them.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(1e30)),
        Just(json!(-0.0)),
        Just(json!(0)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(5e-324)),
        Just(json!("NaN")),
        Just(json!("inf")),
        Just(json!("-1")),
        Just(json!("1e30")),
        Just(json!("${x}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        any::<i64>().prop_map(|i| json!(i)),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        "[a-z${}.]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An activity whose every field may be odd.
fn activity() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("action"), Just("probe"), Just("other")],
        prop_oneof![Just("process"), Just("http"), Just("python"), Just("x")],
        number(),
        number(),
        number(),
        any_json(),
        any::<bool>(),
    )
        .prop_map(
            |(kind, provider, before, after, timeout, arguments, background)| {
                json!({
                    "type": kind, "name": "a", "background": background,
                    "pauses": {"before": before, "after": after},
                    "tolerance": arguments.clone(),
                    "provider": {"type": provider, "path": "true", "url": "http://127.0.0.1:1",
                                 "module": "test.ext", "func": "count",
                                 "timeout": timeout, "arguments": arguments}
                })
            },
        )
}

fn experiment() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(activity(), 0..3),
        prop::collection::vec(activity(), 0..3),
        any_json(),
        number(),
    )
        .prop_map(|(method, rollbacks, configuration, x)| {
            json!({
                "title": "t", "description": "d",
                "configuration": {"x": x, "other": configuration},
                "steady-state-hypothesis": {"title": "h", "probes": method.clone()},
                "method": method,
                "rollbacks": rollbacks
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn validate_and_a_dry_run_never_panic(experiment in experiment(), raw in any_json()) {
        let calls = Arc::new(AtomicUsize::new(0));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        for candidate in [&experiment, &raw] {
            let runner = runner(&calls).dry(Some(Dry::Activities));
            let _ = runner.validate(candidate);
            let outcome = runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(10), runner.run(candidate)).await
            });
            prop_assert!(outcome.is_ok(), "a dry run hung on {candidate}");
        }
    }
}

#[tokio::test]
async fn a_string_of_arguments_runs_under_bin_sh_by_its_path() {
    // As Python's `shell=True`: never a `sh` found first on PATH, and the
    // shell's messages name it as `chaos run`'s do.
    let e = json!({"title": "t", "description": "d",
        "method": [{"type": "action", "name": "a",
            "provider": {"type": "process", "path": "echo", "arguments": "x|no-such-command-here"}}]});
    let j = Runner::new().run(&e).await.unwrap();
    let stderr = j["run"][0]["output"]["stderr"].as_str().unwrap();
    assert!(
        stderr.starts_with("/bin/sh: ") && stderr.contains("no-such-command-here"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_timeout_says_whether_the_process_ended_or_only_its_output_stayed_open() {
    // `sh` ends at once, but the `sleep` it left in the background holds
    // its stdout: the timeout must not say that `sh` did not finish.
    let e = json!({"title": "t", "description": "d",
        "method": [
            {"type": "action", "name": "background",
             "provider": {"type": "process", "path": "sh",
                          "arguments": ["-c", "echo started; sleep 30 &"], "timeout": 0.5}},
            {"type": "action", "name": "foreground",
             "provider": {"type": "process", "path": "sleep", "arguments": ["30"], "timeout": 0.5}}]});
    let j = Runner::new().run(&e).await.unwrap();
    let background = j["run"][0]["exception"].to_string();
    assert!(
        background.contains("process activity took too long to complete: 'sh' ended (exit status: 0), but its output was still open after 500ms"),
        "{background}"
    );
    let foreground = j["run"][1]["exception"].to_string();
    assert!(
        foreground.contains("'sleep' did not finish within 500ms; its process group was killed"),
        "{foreground}"
    );
}

#[tokio::test]
async fn a_tolerance_that_a_secret_makes_invalid_does_not_quote_the_secret() {
    // The error of a regex or a JSON path used to quote the pattern as
    // substituted, and so whatever secret `${}` had put in it.
    for (tolerance, secret) in [
        (
            json!({"type": "regex", "pattern": "^${token}", "target": "stdout"}),
            "[s3cr3t",
        ),
        (
            json!({"type": "jsonpath", "path": "$.${token}", "target": "stdout"}),
            "s3cr3t]",
        ),
    ] {
        let e = json!({"title": "t", "description": "d",
            "secrets": {"vault": {"token": secret}},
            "steady-state-hypothesis": {"title": "h", "probes": [
                {"type": "probe", "name": "p", "tolerance": tolerance,
                 "provider": {"type": "process", "path": "echo", "arguments": "hi",
                              "secrets": ["vault"]}}]},
            "method": []});
        let journal = Runner::new().run(&e).await.unwrap();
        let probe = &journal["steady_states"]["before"]["probes"][0];
        assert_eq!(probe["tolerance_met"], false, "{journal:#}");
        let error = probe["tolerance_error"].as_str().unwrap();
        assert!(error.contains("once substituted"), "{error}");
        assert!(!journal.to_string().contains("s3cr3t"), "{journal:#}");
    }
}

#[tokio::test]
async fn an_activity_error_does_not_quote_a_secret_substituted_into_it() {
    // A failed request's error quotes its URL, and `${}` can put a secret
    // in it (chaoslib prints it so); so can a configuration probe's.
    let secrets = json!({"vault": {"token": "s3cr3t v@lue"}});
    let url = "http://127.0.0.1:1/x/${token}?k=${token}";
    let e = json!({"title": "t", "description": "d", "secrets": secrets,
        "method": [{"type": "probe", "name": "h", "provider": {"type": "http", "url": url,
            "timeout": 2, "secrets": ["vault"]}}]});
    let journal = Runner::new().run(&e).await.unwrap();
    let exception = journal["run"][0]["exception"].to_string();
    assert!(exception.contains("***"), "{exception}");
    for shown in ["s3cr3t", "v%40lue", "v@lue"] {
        assert!(
            !journal["run"].to_string().contains(shown),
            "{shown}: {journal:#}"
        );
    }
    let e = json!({"title": "t", "description": "d", "secrets": secrets,
        "configuration": {"c": {"type": "probe", "provider": {"type": "http", "url": url,
            "timeout": 2, "secrets": ["vault"]}}},
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]});
    let error = Runner::new().run(&e).await.unwrap_err().to_string();
    assert!(
        error.contains("***") && !error.contains("s3cr3t"),
        "{error}"
    );
    // A failed configuration process' stderr is cut to 300 characters:
    // masked before the cut, which would keep the start of the secret.
    let script = format!("echo {}${{token}} >&2; exit 3", "x".repeat(296));
    let e = json!({"title": "t", "description": "d", "secrets": secrets,
        "configuration": {"c": {"type": "probe", "provider": {"type": "process", "path": "sh",
            "arguments": ["-c", script], "secrets": ["vault"]}}},
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]});
    let error = Runner::new().run(&e).await.unwrap_err().to_string();
    assert!(
        error.contains("exited with status 3") && !error.contains("s3cr"),
        "{error}"
    );
}
