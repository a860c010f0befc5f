//! Helpers the CLI's test files share: run the built `kokyaku`, a scratch directory per test file
//! and process, and read what a run printed.

#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `kokyaku` binary of this build with `args`.
pub fn kokyaku(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kokyaku"))
        .args(args)
        .output()
        .expect("run kokyaku")
}

/// `name` in the scratch directory of test file `tag` (made on first use; one per process, so
/// test files running at once do not share files).
pub fn scratch(tag: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kokyaku-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// Writes `text` to `name` in the scratch directory of `tag`; returns the path.
pub fn scratch_file(tag: &str, name: &str, text: &str) -> PathBuf {
    let p = scratch(tag, name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Stdout of a run that must have succeeded (its stderr in the failure message).
pub fn stdout_ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The one JSON value a successful run printed.
pub fn json_ok(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout_ok(o)).expect("one JSON value on stdout")
}

/// The error code (`[code]` on stderr) of a run that failed with exit status 2.
pub fn err_code(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    e.split('[')
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap_or("")
        .to_owned()
}
