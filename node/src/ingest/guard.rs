//! A bounds check of a DICOM byte stream before any parser allocates from it.
//!
//! dicom-rs trusts declared element lengths: a 674-byte file that declares a 3.6 GB element makes
//! it allocate 3.6 GB. [`check`] walks the element headers (explicit and implicit VR, both byte
//! orders, defined and undefined lengths, nested sequences and items, encapsulated pixel data)
//! without allocating, and refuses a stream where any declared length runs past the bytes that
//! exist.
//!
//! STUB: accepts everything. The full version replaces this file.

/// Why a byte stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// An element declares more bytes than remain.
    #[error(
        "element {tag} declares {declared} bytes at offset {offset} but only {available} remain"
    )]
    LengthBeyondEnd {
        /// `(gggg,eeee)`.
        tag: String,
        /// Byte offset of the element header.
        offset: usize,
        /// The declared value length.
        declared: u64,
        /// Bytes left after the header.
        available: u64,
    },
}

/// How the data set after the file meta group is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Implicit VR little endian.
    ImplicitLittle,
    /// Explicit VR little endian.
    ExplicitLittle,
    /// Explicit VR big endian.
    ExplicitBig,
}

/// Check `bytes` (a data set in `encoding`, starting at offset 0) for declared lengths beyond the end.
pub fn check(_bytes: &[u8], _encoding: Encoding) -> Result<(), GuardError> {
    Ok(())
}
