//! A run's journal as JUnit XML, so that CI systems show a chaos run like
//! a test run: one test case per steady-state probe (before and after the
//! method) and per method activity.

use serde_json::Value;

/// The JUnit XML of a journal.
pub(crate) fn junit(journal: &Value) -> String {
    let mut cases = Vec::new();
    for (phase, key) in [
        ("steady-state-before", "before"),
        ("steady-state-after", "after"),
    ] {
        for probe in journal["steady_states"][key]["probes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            cases.push(case(phase, probe));
        }
    }
    for (i, during) in journal["steady_states"]["during"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let phase = format!("steady-state-during-{}", i + 1);
        for probe in during["probes"].as_array().into_iter().flatten() {
            cases.push(case(&phase, probe));
        }
    }
    for run in journal["run"].as_array().into_iter().flatten() {
        cases.push(case("method", run));
    }
    for run in journal["rollbacks"].as_array().into_iter().flatten() {
        cases.push(case("rollbacks", run));
    }
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let title = journal["experiment"]["title"]
        .as_str()
        .unwrap_or("experiment");
    let seconds = journal["duration"].as_f64().unwrap_or(0.0);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"chaosprom\" tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">\n",
        cases.len()
    ));
    xml.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" timestamp=\"{}\" time=\"{seconds:.3}\">\n",
        escape(title),
        cases.len(),
        escape(journal["start"].as_str().unwrap_or_default()),
    ));
    xml.push_str(&format!(
        "    <properties><property name=\"status\" value=\"{}\"/><property name=\"deviated\" value=\"{}\"/></properties>\n",
        escape(journal["status"].as_str().unwrap_or_default()),
        journal["deviated"].as_bool().unwrap_or(false),
    ));
    for c in &cases {
        xml.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&c.class),
            escape(&c.name),
            c.seconds
        ));
        match &c.failure {
            None => xml.push_str("/>\n"),
            Some((message, detail)) => xml.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                escape(message),
                if message.contains("tolerance") {
                    "tolerance"
                } else {
                    "error"
                },
                escape(detail)
            )),
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

struct Case {
    class: String,
    name: String,
    seconds: f64,
    /// Message and detail.
    failure: Option<(String, String)>,
}

fn case(class: &str, run: &Value) -> Case {
    let activity = &run["activity"];
    let name = activity["name"].as_str().unwrap_or("activity").to_owned();
    let failure = if run.get("status").is_none() {
        // chaoslib's (and chaosprom's) entry for an activity an interrupt
        // stopped: started, never finished.
        Some(("interrupted before it finished".to_owned(), String::new()))
    } else if run["status"] != "succeeded" {
        let exception = run["exception"]
            .as_array()
            .map(|lines| lines.iter().filter_map(Value::as_str).collect::<String>())
            .unwrap_or_default();
        Some(("the activity failed".to_owned(), exception))
    } else if run["tolerance_met"] == false {
        Some((
            "not within the tolerance".to_owned(),
            format!(
                "value: {}\ntolerance: {}",
                run["output"], activity["tolerance"]
            ),
        ))
    } else {
        None
    };
    Case {
        class: class.to_owned(),
        name,
        seconds: run["duration"].as_f64().unwrap_or(0.0),
        failure,
    }
}

/// Text for an XML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not XML.
            c if c < ' ' && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_journal_becomes_test_cases_with_failures() {
        let journal = json!({
            "experiment": {"title": "A <title> & more"},
            "status": "completed", "deviated": true, "start": "2026-11-25T10:00:00+00:00", "duration": 2.5,
            "steady_states": {
                "before": {"steady_state_met": true, "probes": [{"activity": {"name": "up"}, "status": "succeeded", "tolerance_met": true, "duration": 0.1}]},
                "after": {"steady_state_met": false, "probes": [{"activity": {"name": "up", "tolerance": 1}, "status": "succeeded", "output": 0, "tolerance_met": false, "duration": 0.1}]},
                "during": []
            },
            "run": [{"activity": {"name": "fault"}, "status": "failed", "exception": ["boom\u{1}\n"], "duration": 1.0}],
            "rollbacks": []
        });
        let xml = super::junit(&journal);
        assert!(
            xml.contains(r#"<testsuite name="A &lt;title&gt; &amp; more" tests="3" failures="2""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase classname="steady-state-before" name="up" time="0.100"/>"#),
            "{xml}"
        );
        assert!(xml.contains("<failure message=\"not within the tolerance\" type=\"tolerance\">value: 0\ntolerance: 1</failure>"), "{xml}");
        assert!(
            xml.contains(
                "<failure message=\"the activity failed\" type=\"error\">boom\u{fffd}\n</failure>"
            ),
            "{xml}"
        );
    }

    #[test]
    fn an_activity_an_interrupt_stopped_is_a_failure_of_its_own() {
        // As chaoslib journals it: no status, no exception.
        let journal = json!({
            "experiment": {"title": "t"}, "status": "interrupted",
            "run": [{"activity": {"name": "fault"}, "output": null, "duration": 1.5}]
        });
        let xml = super::junit(&journal);
        assert!(
            xml.contains("<testcase classname=\"method\" name=\"fault\" time=\"1.500\">\n      <failure message=\"interrupted before it finished\" type=\"error\"></failure>"),
            "{xml}"
        );
    }
}
