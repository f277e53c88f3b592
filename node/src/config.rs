//! A node's settings: `config.toml`, every value with a default (`neurofed init` writes it).

use serde::{Deserialize, Serialize};

use crate::store::Durability;

/// Settings of a node (`config.toml`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The node itself.
    #[serde(default)]
    pub node: NodeConfig,
    /// Import defaults.
    #[serde(default)]
    pub import: ImportConfig,
    /// Blob store.
    #[serde(default)]
    pub store: StoreConfig,
    /// HTTP server (`neurofed serve`).
    #[serde(default)]
    pub http: HttpConfig,
}

/// `[http]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Origins whose browser pages may call the API and DICOMweb (CORS), e.g. an OHIF viewer
    /// served elsewhere: `["https://viewer.example.org"]`; `["*"]`: any origin. Empty (the
    /// default): none.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// `[node]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// This node's center, as given to `neurofed init`.
    #[serde(default)]
    pub center: String,
}

/// `[import]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportConfig {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Instances gathered before a durability barrier and the catalog commits.
    pub batch_instances: usize,
    /// Profile for studies created without `--profile`.
    pub default_profile: String,
    /// Study name when `--study` is not given.
    pub default_study: String,
    /// Convert every image series to NIfTI at import.
    pub nifti: bool,
    /// Store NIfTI gzip-compressed (`.nii.gz`).
    pub nifti_gzip: bool,
    /// Deflate level of `.nii.gz` (1: fastest).
    pub nifti_gzip_level: u32,
}

impl Default for ImportConfig {
    fn default() -> Self {
        ImportConfig {
            threads: 0,
            batch_instances: 512,
            default_profile: "default".into(),
            default_study: "default".into(),
            nifti: true,
            nifti_gzip: true,
            nifti_gzip_level: 1,
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// How a batch of blobs is made durable.
    #[serde(default)]
    pub durability: Durability,
}
