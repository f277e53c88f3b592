//! Command bodies: open the node, call the library, print text or JSON.

pub mod access;
pub mod federation;
pub mod grants;
pub mod import;
pub mod repo;
pub mod sample;
pub mod search;
pub mod serve;
pub mod studycard;

/// Print `value` as one line of JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// `1234567` -> `1.2 MB`.
pub fn human_bytes(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}
