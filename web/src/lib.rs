//! # neurofed-web
//!
//! The HTTP face of a node: the `/api/v1` JSON API, DICOMweb and the portal. Not yet built: see
//! the search and HTTP API issue.
