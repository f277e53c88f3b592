//! Multi-node tests of the federation: real swarms on 127.0.0.1 in one process, each node with
//! its own temporary home. Search backends are the small reference in `fake.rs`, except in
//! `corpus.rs`, which imports the generated corpus into real nodes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod corpus;
mod fake;
mod membership;
mod refusals;
mod search;
mod util;
