//! Command bodies: open the node, call the library, print text or JSON.

pub mod audit;
pub mod consortium;
pub mod deid;
pub mod docs;
pub mod fetch;
pub mod grant;
pub mod import;
pub mod keys;
pub mod pacs;
pub mod quarantine;
pub mod repo;
pub mod results;
pub mod rights;
pub mod sample;
pub mod scores;
pub mod search;
pub mod serve;
pub mod study;
pub mod studycard;
pub mod upload;
pub mod user;
