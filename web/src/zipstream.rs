//! A zip writer for streaming: entries are STORED (DICOM and `.nii.gz` do not compress further),
//! written front to back into any [`Write`] without seeking, so a download never holds more than
//! one read buffer. Each entry's CRC-32 and sizes follow its data in a data descriptor (general
//! purpose flag bit 3), and the central directory at the end repeats them, which is what `unzip`,
//! Python's `zipfile`, the `zip` crate and every central-directory reader use. ZIP64 records are
//! written for entries of 4 GiB or more and for archives whose directory lies past 4 GiB.
//! Timestamps are fixed (1980-01-01), so the same dataset always gives the same bytes.

use std::io::{self, Write};

const LOCAL_SIG: u32 = 0x0403_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
/// Bit 3 (sizes in a data descriptor) and bit 11 (UTF-8 names).
const FLAGS: u16 = 0x0808;
const DOS_DATE_1980_01_01: u16 = (1 << 5) | 1;
const U32_MAX: u64 = 0xFFFF_FFFF;
/// Unix, spec version 4.5.
const MADE_BY: u16 = (3 << 8) | 45;

struct CentralEntry {
    name: Vec<u8>,
    crc: u32,
    size: u64,
    offset: u64,
    zip64: bool,
}

struct Open {
    crc: crc32fast::Hasher,
    size: u64,
    zip64: bool,
}

/// Writes a zip archive to `W` as a stream.
pub(crate) struct ZipStream<W: Write> {
    out: W,
    written: u64,
    entries: Vec<CentralEntry>,
    open: Option<Open>,
    force_zip64: bool,
}

impl<W: Write> std::fmt::Debug for ZipStream<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipStream")
            .field("written", &self.written)
            .field("entries", &self.entries.len())
            .finish()
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

impl<W: Write> ZipStream<W> {
    /// A new archive written to `out`.
    pub(crate) fn new(out: W) -> Self {
        ZipStream {
            out,
            written: 0,
            entries: Vec::new(),
            open: None,
            force_zip64: false,
        }
    }

    /// Write ZIP64 records whatever the sizes (for tests of the ZIP64 layout).
    #[cfg(test)]
    fn forcing_zip64(mut self) -> Self {
        self.force_zip64 = true;
        self
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Start an entry named `name` (a relative path with `/`), whose data will be about
    /// `size_hint` bytes (it decides whether the entry needs ZIP64 sizes).
    pub(crate) fn start_entry(&mut self, name: &str, size_hint: u64) -> io::Result<()> {
        if self.open.is_some() {
            self.finish_entry()?;
        }
        if name.is_empty() || name.len() > usize::from(u16::MAX) {
            return Err(invalid("zip entry name is empty or too long"));
        }
        let zip64 = self.force_zip64 || size_hint >= U32_MAX;
        let offset = self.written;
        let mut h = Vec::with_capacity(30 + name.len() + 20);
        h.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        h.extend_from_slice(&(if zip64 { 45u16 } else { 20u16 }).to_le_bytes());
        h.extend_from_slice(&FLAGS.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // stored
        h.extend_from_slice(&0u16.to_le_bytes()); // time
        h.extend_from_slice(&DOS_DATE_1980_01_01.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // crc: in the descriptor
        let sz: u32 = if zip64 { u32::MAX } else { 0 };
        h.extend_from_slice(&sz.to_le_bytes());
        h.extend_from_slice(&sz.to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(if zip64 { 20u16 } else { 0u16 }).to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        if zip64 {
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&0u64.to_le_bytes());
            h.extend_from_slice(&0u64.to_le_bytes());
        }
        self.put(&h)?;
        self.entries.push(CentralEntry {
            name: name.as_bytes().to_vec(),
            crc: 0,
            size: 0,
            offset,
            zip64,
        });
        self.open = Some(Open {
            crc: crc32fast::Hasher::new(),
            size: 0,
            zip64,
        });
        Ok(())
    }

    /// Append data to the open entry.
    pub(crate) fn write_data(&mut self, data: &[u8]) -> io::Result<()> {
        let open = self
            .open
            .as_mut()
            .ok_or_else(|| invalid("no zip entry is open"))?;
        open.crc.update(data);
        open.size += data.len() as u64;
        if !open.zip64 && open.size >= U32_MAX {
            return Err(invalid("zip entry grew past 4 GiB without ZIP64"));
        }
        self.put(data)
    }

    /// Close the open entry: its data descriptor.
    pub(crate) fn finish_entry(&mut self) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let crc = open.crc.finalize();
        let mut d = Vec::with_capacity(24);
        d.extend_from_slice(&DESCRIPTOR_SIG.to_le_bytes());
        d.extend_from_slice(&crc.to_le_bytes());
        if open.zip64 {
            d.extend_from_slice(&open.size.to_le_bytes());
            d.extend_from_slice(&open.size.to_le_bytes());
        } else {
            d.extend_from_slice(&(open.size as u32).to_le_bytes());
            d.extend_from_slice(&(open.size as u32).to_le_bytes());
        }
        self.put(&d)?;
        if let Some(e) = self.entries.last_mut() {
            e.crc = crc;
            e.size = open.size;
        }
        Ok(())
    }

    /// Write the central directory and the end records; returns the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.finish_entry()?;
        let cd_offset = self.written;
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let big_size = e.zip64 || e.size >= U32_MAX;
            let big_offset = self.force_zip64 || e.offset >= U32_MAX;
            let mut extra = Vec::new();
            if big_size {
                extra.extend_from_slice(&e.size.to_le_bytes());
                extra.extend_from_slice(&e.size.to_le_bytes());
            }
            if big_offset {
                extra.extend_from_slice(&e.offset.to_le_bytes());
            }
            let mut h = Vec::with_capacity(46 + e.name.len() + 4 + extra.len());
            h.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            h.extend_from_slice(&MADE_BY.to_le_bytes());
            let needed: u16 = if big_size || big_offset { 45 } else { 20 };
            h.extend_from_slice(&needed.to_le_bytes());
            h.extend_from_slice(&FLAGS.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&DOS_DATE_1980_01_01.to_le_bytes());
            h.extend_from_slice(&e.crc.to_le_bytes());
            let sz = if big_size { u32::MAX } else { e.size as u32 };
            h.extend_from_slice(&sz.to_le_bytes());
            h.extend_from_slice(&sz.to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            let extra_len = if extra.is_empty() { 0 } else { 4 + extra.len() };
            h.extend_from_slice(&(extra_len as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // comment
            h.extend_from_slice(&0u16.to_le_bytes()); // disk
            h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            h.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes());
            let off = if big_offset {
                u32::MAX
            } else {
                e.offset as u32
            };
            h.extend_from_slice(&off.to_le_bytes());
            h.extend_from_slice(&e.name);
            if !extra.is_empty() {
                h.extend_from_slice(&1u16.to_le_bytes());
                h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
                h.extend_from_slice(&extra);
            }
            self.put(&h)?;
        }
        let cd_size = self.written - cd_offset;
        let n = entries.len() as u64;
        let zip64_end =
            self.force_zip64 || n >= 0xFFFF || cd_size >= U32_MAX || cd_offset >= U32_MAX;
        if zip64_end {
            let eocd64_offset = self.written;
            let mut r = Vec::with_capacity(56 + 20);
            r.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
            r.extend_from_slice(&44u64.to_le_bytes());
            r.extend_from_slice(&MADE_BY.to_le_bytes());
            r.extend_from_slice(&45u16.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&n.to_le_bytes());
            r.extend_from_slice(&n.to_le_bytes());
            r.extend_from_slice(&cd_size.to_le_bytes());
            r.extend_from_slice(&cd_offset.to_le_bytes());
            r.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&eocd64_offset.to_le_bytes());
            r.extend_from_slice(&1u32.to_le_bytes());
            self.put(&r)?;
        }
        let mut r = Vec::with_capacity(22);
        r.extend_from_slice(&EOCD_SIG.to_le_bytes());
        r.extend_from_slice(&0u16.to_le_bytes());
        r.extend_from_slice(&0u16.to_le_bytes());
        let n16 = if zip64_end { u16::MAX } else { n as u16 };
        r.extend_from_slice(&n16.to_le_bytes());
        r.extend_from_slice(&n16.to_le_bytes());
        let cs = if zip64_end { u32::MAX } else { cd_size as u32 };
        let co = if zip64_end {
            u32::MAX
        } else {
            cd_offset as u32
        };
        r.extend_from_slice(&cs.to_le_bytes());
        r.extend_from_slice(&co.to_le_bytes());
        r.extend_from_slice(&0u16.to_le_bytes());
        self.put(&r)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::{Cursor, Read};

    fn sample(zip64: bool) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
        let files: Vec<(String, Vec<u8>)> = vec![
            (
                "a/b/IM00001.dcm".into(),
                (0..100_000u32).map(|i| (i % 251) as u8).collect(),
            ),
            ("a/empty.json".into(), Vec::new()),
            ("c.nii.gz".into(), b"hello".to_vec()),
        ];
        let mut z = ZipStream::new(Vec::new());
        if zip64 {
            z = z.forcing_zip64();
        }
        for (name, data) in &files {
            z.start_entry(name, data.len() as u64).unwrap();
            for chunk in data.chunks(7000) {
                z.write_data(chunk).unwrap();
            }
            z.finish_entry().unwrap();
        }
        (z.finish().unwrap(), files)
    }

    fn check(bytes: Vec<u8>, files: &[(String, Vec<u8>)]) {
        let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(a.len(), files.len());
        for (name, data) in files {
            let mut f = a.by_name(name).unwrap();
            let mut got = Vec::new();
            f.read_to_end(&mut got).unwrap();
            assert_eq!(&got, data, "{name}");
        }
    }

    #[test]
    fn archives_read_back_identical() {
        let (bytes, files) = sample(false);
        check(bytes, &files);
    }

    #[test]
    fn zip64_layout_reads_back_identical() {
        let (bytes, files) = sample(true);
        check(bytes, &files);
    }

    #[test]
    fn output_is_deterministic_and_misuse_is_an_error() {
        assert_eq!(sample(false).0, sample(false).0);
        let mut z = ZipStream::new(Vec::new());
        assert!(z.write_data(b"x").is_err());
        assert!(z.start_entry("", 0).is_err());
    }
}
