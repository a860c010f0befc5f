//! The `kokyaku` command.
fn main() {}
