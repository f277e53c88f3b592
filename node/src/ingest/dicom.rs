//! Reading one input into a DICOM object.
//!
//! Part-10 files (with or without the 128-byte preamble) and bare data sets without a file meta
//! group (transfer syntax guessed: implicit VR LE, then explicit LE, then explicit BE). Every
//! declared length is checked by [`super::guard`] before dicom-rs sees the bytes. A file that is
//! not DICOM, truncated, or in a transfer syntax we cannot handle is a [`ReadError`] with a one-line
//! reason; nothing here panics.
//!
//! STUB: Part-10 only, no guard. The full version replaces this file.

use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};

/// A DICOM object read from an input.
#[derive(Debug)]
pub struct ReadInstance {
    /// The object, with its file meta group (synthesized when the input had none).
    pub obj: DefaultDicomObject,
    /// Set when the input had no file meta group and the transfer syntax was guessed.
    pub guessed_transfer_syntax: Option<&'static str>,
}

/// Why an input is not imported, in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not a DICOM file at all.
    #[error("not DICOM: {0}")]
    NotDicom(String),
    /// Looks like DICOM but cannot be parsed.
    #[error("malformed DICOM: {0}")]
    Malformed(String),
    /// A DICOMDIR or other non-image object that is not imported itself.
    #[error("{0}")]
    NotAnInstance(String),
    /// A transfer syntax this node cannot read.
    #[error("unsupported transfer syntax {0}")]
    UnsupportedTransferSyntax(String),
}

/// Read a DICOM object out of `bytes`.
pub fn read(bytes: &[u8]) -> Result<ReadInstance, ReadError> {
    let has_preamble = bytes.len() >= 132 && &bytes[128..132] == b"DICM";
    let opts = OpenFileOptions::new().read_preamble(if has_preamble {
        ReadPreamble::Always
    } else {
        ReadPreamble::Never
    });
    let obj = opts
        .from_reader(bytes)
        .map_err(|e| ReadError::Malformed(e.to_string()))?;
    Ok(ReadInstance {
        obj,
        guessed_transfer_syntax: None,
    })
}
