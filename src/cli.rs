//! Command-line modules of the federation protocol: `neurofed consortium`, `neurofed grant`,
//! `neurofed keys`. Each exposes a clap `Subcommand` enum and a `run` function returning the
//! process exit code; `main.rs` wires them.

pub mod common;
pub mod consortium;
pub mod grant;
pub mod keys;

#[cfg(test)]
mod tests;
