//! docs/loyalty.md: each preset's programme and orders are those of its golden vector (whose
//! hand-computed numbers `loyalty_golden.rs` checks), so the worked examples cannot drift.

use std::path::Path;

fn block_after<'a>(text: &'a str, from: usize, fence: &str) -> &'a str {
    let start = text[from..].find(fence).expect("fenced block") + from + fence.len();
    let end = text[start..].find("```").expect("block end") + start;
    text[start..end].trim()
}

#[test]
fn presets_are_the_vectors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/loyalty.md")).unwrap();
    let mut seen = 0;
    let mut at = 0;
    while let Some(k) = doc[at..].find("<!-- vector: ") {
        let start = at + k + "<!-- vector: ".len();
        let end = doc[start..].find(" -->").unwrap() + start;
        let file = &doc[start..end];
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("tests/fixtures/loyalty").join(file)).unwrap(),
        )
        .unwrap();
        let program: serde_json::Value =
            serde_json::from_str(block_after(&doc, end, "```json")).unwrap();
        assert_eq!(program, v["params"]["program"], "{file}");
        let csv_at = doc[end..].find("```csv").unwrap() + end;
        assert_eq!(
            block_after(&doc, csv_at, "```csv"),
            v["input"]["csv"].as_str().unwrap().trim(),
            "{file}"
        );
        kokyaku::loyalty::Program::from_value(program).unwrap();
        seen += 1;
        at = end;
    }
    assert_eq!(seen, 3, "three presets");
}
