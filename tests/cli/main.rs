//! End-to-end tests of the `neurofed` binary: one test binary, shared fixtures (see `util`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod bids;
mod browser;
mod cards;
mod client;
mod coordinator;
mod corpus;
mod crash;
mod dicomweb;
mod dimse;
mod federation;
mod midib;
mod nifti;
mod pacs;
mod phi;
mod portal_browser;
mod quarantine;
mod reports;
mod sample;
mod scores;
mod search;
mod serve;
mod sources;
mod tools;
mod upload;
mod util;
