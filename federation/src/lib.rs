//! # neurofed-federation
//!
//! The libp2p side of a node: the swarm and its event loop, consortium membership checks, the
//! fan-out of federated searches and the merge of their facet counts and hits, and verified
//! content transfer between members. Not yet built: see the federation issue.

pub mod transfer;
