//! `tests/fixtures/KNOWN_GAPS.json`, the one list of golden vectors a binding cannot run yet,
//! is well formed: every listed vector exists, bindings are `python`, `node` or `wasm` (the Rust
//! core runs every vector), and each entry gives a reason. The binding harnesses do the rest
//! (a listed vector that passes fails them, an unlisted one that cannot run fails them).

use std::path::Path;

#[test]
fn known_gaps_list_is_well_formed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let text = std::fs::read_to_string(root.join("KNOWN_GAPS.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let gaps = v["gaps"].as_object().expect("gaps is an object");
    for (vector, gap) in gaps {
        assert!(root.join(vector).is_file(), "{vector}: no such vector");
        let bindings = gap["bindings"].as_array().expect("bindings is a list");
        assert!(!bindings.is_empty(), "{vector}: no binding listed");
        for b in bindings {
            assert!(
                matches!(b.as_str(), Some("python" | "node" | "wasm")),
                "{vector}: binding {b} (the Rust core runs every vector and is never a gap)"
            );
        }
        assert!(
            gap["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{vector}: give a reason"
        );
    }
}
