//! A node's settings: `config.toml`, every value with a default (`neurofed init` writes it).

use std::collections::BTreeMap;

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
    /// DIMSE server (`neurofed serve --dicom ADDR`).
    #[serde(default)]
    pub dicom: DicomConfig,
    /// PACS this node queries and retrieves from, by name (`[pacs.hospital]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pacs: BTreeMap<String, PacsConfig>,
    /// The mail relay that sends import reports (`[smtp]`); none: no reports are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpConfig>,
}

/// `[smtp]`: the mail relay for import reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Relay host name or address.
    pub host: String,
    /// Relay port (587 for STARTTLS, 465 for TLS, 25 for none).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// The sender address (`neurofed@hospital.example`).
    pub from: String,
    /// `starttls` (default), `tls`, or `none` (a relay on the same machine or a test sink).
    #[serde(default)]
    pub security: SmtpSecurity,
    /// Account name at the relay, when it wants one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The environment variable holding that account's password (never the password itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// No encryption.
    None,
}

/// `[dicom]`: the node as a DICOM application entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DicomConfig {
    /// The node's AE title (called AE title that associations must name).
    pub ae_title: String,
    /// Calling AE titles allowed to C-STORE, each with the study its images go to
    /// (`[dicom.callers.STORESCU] study = "MS cohort"`). Unknown callers are refused.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub callers: BTreeMap<String, DicomCaller>,
    /// Most associations served at once.
    pub max_associations: usize,
    /// Largest PDU accepted and announced, in bytes.
    pub max_pdu: u32,
    /// Seconds an association may stay silent before it is aborted.
    pub idle_timeout_s: u64,
}

impl Default for DicomConfig {
    fn default() -> Self {
        DicomConfig {
            ae_title: "NEUROFED".into(),
            callers: BTreeMap::new(),
            max_associations: 16,
            max_pdu: 65_536,
            idle_timeout_s: 60,
        }
    }
}

/// `[dicom.callers.AE]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DicomCaller {
    /// The study (name or id) the caller's images are imported into.
    pub study: String,
    /// The de-identification profile, when not the study's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Where the caller's own storage SCP listens, so that it may be a C-MOVE destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// `[pacs.NAME]`: a PACS the node queries and retrieves from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacsConfig {
    /// Its AE title.
    pub ae_title: String,
    /// Its host name or address.
    pub host: String,
    /// Its DIMSE port.
    pub port: u16,
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Origins whose browser pages may call the API and DICOMweb (CORS), e.g. an OHIF viewer
    /// served elsewhere: `["https://viewer.example.org"]`; `["*"]`: any origin. Empty (the
    /// default): none.
    pub cors_origins: Vec<String>,
    /// Connections served at once; further clients wait in the listen queue (default 512).
    pub max_connections: usize,
    /// Connections served at once from one client address; more from it are closed as they
    /// come (default 64; 0: no limit, e.g. behind a reverse proxy, where every client has the
    /// proxy's address).
    pub max_connections_per_address: usize,
    /// Seconds a client has to send a request's headers, from the connection's start or the
    /// end of its previous answer; then the connection is closed (default 15).
    pub header_timeout_secs: u64,
    /// Seconds an ordinary request may take until its answer starts (408 after; default 60).
    /// Uploads (import, STOW-RS) and `/fetch` are exempt: they have the idle timeout instead.
    pub request_timeout_secs: u64,
    /// Seconds an upload may send nothing, or a download's client read nothing, before the
    /// connection is dropped (default 60). A transfer that keeps moving is never cut.
    pub idle_timeout_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            cors_origins: Vec::new(),
            max_connections: 512,
            max_connections_per_address: 64,
            header_timeout_secs: 15,
            request_timeout_secs: 60,
            idle_timeout_secs: 60,
        }
    }
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
    /// Compression level of `.nii.gz`: 1 (the default) is Huffman-only deflate, the fastest and
    /// on noisy voxels about as small as zlib's level 6; 0 and 2-9 are zlib's levels.
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
