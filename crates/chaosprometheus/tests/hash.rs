//! The experiment hash matches Python's `chaoslib.experiment_hash` on every
//! vector: the project's shared ones and more made with Python itself
//! (floats, big integers, escapes, astral characters, key order).

use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn shared_vectors_match_byte_for_byte() {
    let vectors = fixture("hash-vectors.json");
    for v in vectors["vectors"].as_array().unwrap() {
        let experiment = &v["experiment"];
        assert_eq!(
            chaosprometheus::canonical_json(experiment),
            v["canonical_json"].as_str().unwrap(),
            "{}",
            v["name"]
        );
        assert_eq!(
            chaosprometheus::experiment_hash(experiment),
            v["hash"].as_str().unwrap(),
            "{}",
            v["name"]
        );
    }
}

#[test]
fn python_made_vectors_match() {
    for v in fixture("hash-vectors-python.json").as_array().unwrap() {
        let experiment: Value =
            serde_json::from_str(v["experiment_json"].as_str().unwrap()).unwrap();
        assert_eq!(
            chaosprometheus::canonical_json(&experiment),
            v["canonical_json"].as_str().unwrap()
        );
        assert_eq!(
            chaosprometheus::experiment_hash(&experiment),
            v["hash"].as_str().unwrap()
        );
    }
}

#[test]
fn a_run_hashes_the_experiment_with_dry_null_as_python_does() {
    // `chaos run` pushed this ref for the "simple" vector's experiment.
    let vectors = fixture("hash-vectors.json");
    let mut experiment = vectors["vectors"][1]["experiment"].clone();
    experiment["dry"] = Value::Null;
    assert_eq!(
        chaosprometheus::experiment_hash(&experiment),
        "79ff3809d904210e1045afc0"
    );
}

#[test]
fn the_fixture_is_the_shared_one_when_it_is_there() {
    let shared = format!(
        "{}/../../../shared/hash-vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if let Ok(text) = std::fs::read_to_string(shared) {
        let shared: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            shared,
            fixture("hash-vectors.json"),
            "refresh tests/fixtures"
        );
    }
}

#[test]
fn test_hash_py_with_default() {
    // chaoslib 1.44.0's test_hash.py::test_with_default:
    // hashlib.blake2b(json.dumps({}).encode("utf-8"), digest_size=12).
    // Its other two cases choose another hashlib algorithm, which no
    // caller of the extension does.
    assert_eq!(
        chaosprometheus::experiment_hash(&serde_json::json!({})),
        "bf78e4a953b40eee238ca2e9"
    );
}
