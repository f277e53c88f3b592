//! # neurofed-web
//!
//! The HTTP face of a node: the `/api/v1` JSON API (this crate), DICOMweb under `/dicom-web`
//! (PS3.18 QIDO-RS, WADO-RS, STOW-RS; see docs/dicomweb.md), later the portal.
//!
//! [`app`] builds the axum [`Router`](axum::Router) over an [`AppState`] (the open [`node::Node`], the import
//! lock, settings); `neurofed serve` binds it to a socket, tests drive it with
//! `tower::ServiceExt::oneshot`. The routes are declared once, in [`routes`], which both builds
//! the router and lists them ([`route_table`]) so that a test can hold the OpenAPI document
//! ([`openapi_document`]) to exactly the same set.
//!
//! Beside the server: [`ApiClient`] is the blocking client of a running node's API that the CLI's
//! `search --federated`, `fetch` and `consortium push` use (the API's own types, the server's
//! explanation of every refusal), and [`demo()`] the in-process three-center consortium of
//! `neurofed demo`. Every request is logged once at info level (target `neurofed::access`:
//! method, route template, status, milliseconds; never the query string).
//!
//! What this crate guarantees whatever the request:
//! - **Every error is JSON** `{"error": {"code", "message"}}` ([`ApiError`]): extractor
//!   rejections, unknown routes, wrong methods and panics included. Internal details (paths,
//!   storage errors) are logged, never sent.
//! - **Authentication first**: every route but health, the OpenAPI document, login and account
//!   requests answers 401 without valid credentials; rights are the access module's
//!   decisions, answered 403 with its reason.
//! - **Every access is audited** (searches, views, downloads, imports; rights and account changes
//!   are audited by the access module in their own transactions). Audit details never hold what a
//!   user typed in free text nor patient data.
//! - **Blocking work off the async workers**: catalog, store, index and password hashing run in
//!   `spawn_blocking`; downloads and uploads stream through bounded buffers.

#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub, rustdoc::broken_intra_doc_links)]

mod access_log;
mod api;
mod auth;
mod client;
mod cors;
mod demo;
mod dicomweb;
mod dimse;
mod error;
mod mail;
mod openapi;
mod portal;
mod preview;
mod router;
mod server;
mod state;
mod throttle;
mod zipstream;

pub use api::download::CHUNK as DOWNLOAD_CHUNK;
pub use api::results::{
    CoverageBody, FacetMap, FederatedBody, MemberOutcome, NodeReportBody, PendingAgreementBody,
    SearchBody, SearchHit, SuppressedCount,
};
pub use client::{
    ApiClient, ClientError, FetchReport, NoUploadProgress, Pushed, SearchAnswer, SearchParams,
    UploadProgress, UploadReport, UploadStage,
};
pub use demo::{run as demo, DemoError, DemoEvent, DemoOptions};
pub use dimse::scu::{
    GetOutcome, Pacs, PacsAssociation, PacsError, PacsLevel, PacsMatch, PacsQuery,
};
pub use dimse::serve_dimse;
pub use error::{ApiError, ApiResult};
pub use mail::{send_import_report, MailError, ReportWatch};
pub use openapi::document as openapi_document;
pub use router::{
    app, route_table, routes, Method, Routes, MAX_DOCUMENT_BYTES, MAX_JSON_BYTES,
    MAX_SMALL_JSON_BYTES,
};
pub use server::{serve, HttpLimits};
pub use state::{AppState, StateError, WebConfig, DEFAULT_MAX_UPLOAD_BYTES};
