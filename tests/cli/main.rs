//! End-to-end tests of the `neurofed` binary: one test binary, shared fixtures (see `util`).

mod cards;
mod corpus;
mod crash;
mod phi;
mod util;
