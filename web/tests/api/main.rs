//! HTTP tests of the `/api/v1` router through `tower::ServiceExt::oneshot`, against nodes in
//! temporary homes: a shared one holding the generated corpus (three studies, one subject each,
//! and one account per row of the rights matrix), and small private ones for tests that change
//! things (imports, rights workflows, corruption).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod auth;
mod bad_input;
mod copies;
mod dicomweb;
mod download;
mod entities;
mod fixture;
mod ids;
mod import;
mod openapi;
mod portal;
mod portal_manage;
mod preview;
mod quarantine;
mod scores;
mod search;
mod server;
mod studies;
