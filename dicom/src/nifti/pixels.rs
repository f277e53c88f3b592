//! Pixel data: the stored sample type, a borrowed view of an instance's native pixel data, and the
//! copy of every frame's rows into the NIfTI voxel array.
//!
//! Voxel order is dcm2niix's: i runs along a DICOM row (column index), j runs against the DICOM
//! row index (the image is flipped top-bottom, so `j = Rows - 1 - r`), k is the sorted slice.
//! Only native (uncompressed) pixel data is read; dicom-rs has already decoded `OW` words with the
//! transfer syntax's byte order, while `OB` bytes are the little-endian stream.

use super::NotConverted;

/// A stored integer sample type (BitsAllocated x PixelRepresentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SampleType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
}

impl SampleType {
    pub(crate) fn from_dicom(bits_allocated: i64, signed: bool) -> Option<SampleType> {
        Some(match (bits_allocated, signed) {
            (8, false) => SampleType::U8,
            (8, true) => SampleType::I8,
            (16, false) => SampleType::U16,
            (16, true) => SampleType::I16,
            (32, false) => SampleType::U32,
            (32, true) => SampleType::I32,
            _ => return None,
        })
    }

    pub(crate) fn bytes(self) -> usize {
        match self {
            SampleType::U8 | SampleType::I8 => 1,
            SampleType::U16 | SampleType::I16 => 2,
            SampleType::U32 | SampleType::I32 => 4,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            SampleType::U8 => "uint8",
            SampleType::I8 => "int8",
            SampleType::U16 => "uint16",
            SampleType::I16 => "int16",
            SampleType::U32 => "uint32",
            SampleType::I32 => "int32",
        }
    }

    /// NIfTI-1 datatype code.
    pub(crate) fn nifti_code(self) -> i16 {
        match self {
            SampleType::U8 => 2,
            SampleType::I8 => 256,
            SampleType::U16 => 512,
            SampleType::I16 => 4,
            SampleType::U32 => 768,
            SampleType::I32 => 8,
        }
    }

    /// The value of one little-endian stored sample.
    fn value(self, b: &[u8]) -> f64 {
        match self {
            SampleType::U8 => f64::from(b[0]),
            SampleType::I8 => f64::from(b[0] as i8),
            SampleType::U16 => f64::from(u16::from_le_bytes([b[0], b[1]])),
            SampleType::I16 => f64::from(i16::from_le_bytes([b[0], b[1]])),
            SampleType::U32 => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            SampleType::I32 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        }
    }
}

/// An instance's native pixel data, as dicom-rs holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Samples<'a> {
    /// `OB` (or `UN`): the little-endian byte stream.
    Bytes(&'a [u8]),
    /// `OW`: 16-bit words, already in host order.
    Words(&'a [u16]),
    /// `OL`: 32-bit words, already in host order.
    DWords(&'a [u32]),
}

/// A view of one instance's pixel data with its sample type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PixelData<'a> {
    samples: Samples<'a>,
    ty: SampleType,
}

impl<'a> PixelData<'a> {
    /// Check that the storage can hold samples of `ty` and how many it holds.
    pub(crate) fn new(
        samples: Samples<'a>,
        ty: SampleType,
        big_endian: bool,
    ) -> Result<Self, NotConverted> {
        let ok = match (samples, ty.bytes()) {
            (Samples::Bytes(_), 1) => true,
            // OB holding wider samples is only unambiguous in little endian.
            (Samples::Bytes(_), _) => !big_endian,
            (Samples::Words(_), 2) => true,
            // 8- or 32-bit samples packed in OW words: byte order is ambiguous in big endian.
            (Samples::Words(_), _) => !big_endian,
            (Samples::DWords(_), 4) => true,
            (Samples::DWords(_), _) => false,
        };
        if !ok {
            return Err(NotConverted::Unsupported(format!(
                "{}-bit samples stored as {} in big endian",
                ty.bytes() * 8,
                match samples {
                    Samples::Bytes(_) => "OB",
                    Samples::Words(_) => "OW",
                    Samples::DWords(_) => "OL",
                }
            )));
        }
        Ok(PixelData { samples, ty })
    }

    /// Number of whole samples held.
    pub(crate) fn len(&self) -> usize {
        let bytes = match self.samples {
            Samples::Bytes(b) => b.len(),
            Samples::Words(w) => w.len() * 2,
            Samples::DWords(d) => d.len() * 4,
        };
        bytes / self.ty.bytes()
    }

    /// Copy samples `start..start + n` as little-endian bytes into `out` (`n * bytes` long).
    fn copy_le(&self, start: usize, n: usize, out: &mut [u8]) -> Option<()> {
        let w = self.ty.bytes();
        match self.samples {
            Samples::Bytes(b) => out.copy_from_slice(b.get(start * w..(start + n) * w)?),
            Samples::Words(words) => match w {
                2 => {
                    let src = words.get(start..start + n)?;
                    for (o, s) in out.chunks_exact_mut(2).zip(src) {
                        o.copy_from_slice(&s.to_le_bytes());
                    }
                }
                1 => {
                    for (i, o) in out.iter_mut().enumerate() {
                        let idx = start + i;
                        let word = words.get(idx / 2)?.to_le_bytes();
                        *o = word[idx % 2];
                    }
                }
                _ => {
                    let src = words.get(start * 2..(start + n) * 2)?;
                    for (o, s) in out.chunks_exact_mut(2).zip(src) {
                        o.copy_from_slice(&s.to_le_bytes());
                    }
                }
            },
            Samples::DWords(d) => {
                let src = d.get(start..start + n)?;
                for (o, s) in out.chunks_exact_mut(4).zip(src) {
                    o.copy_from_slice(&s.to_le_bytes());
                }
            }
        }
        Some(())
    }
}

/// Where a frame's pixels are: instance `data`, first sample `base`, `row_stride` samples between
/// rows (the mosaic width for a mosaic tile, else the frame width).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FramePixels {
    pub(crate) data: usize,
    pub(crate) base: usize,
    pub(crate) row_stride: usize,
}

/// How stored samples become voxels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Output {
    /// Copy the stored type; scaling goes to scl_slope/scl_inter.
    Stored,
    /// Apply each frame's own rescale and write float32 (rescale varies across frames).
    Float32,
}

/// Copy `frames` (in output order) of `rows x cols` into `out`, which must be exactly
/// `frames.len() * rows * cols * voxel bytes` long; rows bottom-up when `flip_rows`.
pub(crate) fn assemble(
    data: &[PixelData<'_>],
    frames: &[(FramePixels, [f64; 2])],
    (rows, cols): (usize, usize),
    flip_rows: bool,
    output: Output,
    out: &mut [u8],
) -> Result<(), NotConverted> {
    let short = || NotConverted::Malformed("pixel data shorter than its frames".into());
    let Some(first) = data.first() else {
        return Err(short());
    };
    let ty = first.ty;
    let in_w = ty.bytes();
    let out_w = match output {
        Output::Stored => in_w,
        Output::Float32 => 4,
    };
    let row_bytes = cols * out_w;
    if out.len() != frames.len() * rows * row_bytes {
        return Err(NotConverted::Malformed(
            "internal: output size mismatch".into(),
        ));
    }
    let mut scratch = vec![0u8; cols * in_w];
    for (f, (fp, [slope, inter])) in frames.iter().enumerate() {
        let pd = data.get(fp.data).ok_or_else(short)?;
        for j in 0..rows {
            let r = if flip_rows { rows - 1 - j } else { j };
            let start = fp.base + r * fp.row_stride;
            let o = (f * rows + j) * row_bytes;
            let dst = &mut out[o..o + row_bytes];
            match output {
                Output::Stored => pd.copy_le(start, cols, dst).ok_or_else(short)?,
                Output::Float32 => {
                    pd.copy_le(start, cols, &mut scratch).ok_or_else(short)?;
                    for (d, s) in dst.chunks_exact_mut(4).zip(scratch.chunks_exact(in_w)) {
                        let v = (ty.value(s) * slope + inter) as f32;
                        d.copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_flipped_rows_of_words_and_bytes() {
        // 2 rows x 3 cols, values 0..6 row-major.
        let words: Vec<u16> = (0..6).collect();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        for samples in [Samples::Words(&words), Samples::Bytes(&bytes)] {
            let pd = PixelData::new(samples, SampleType::U16, false).unwrap();
            assert_eq!(pd.len(), 6);
            let fp = FramePixels {
                data: 0,
                base: 0,
                row_stride: 3,
            };
            let mut out = vec![0u8; 12];
            assemble(
                &[pd],
                &[(fp, [1.0, 0.0])],
                (2, 3),
                true,
                Output::Stored,
                &mut out,
            )
            .unwrap();
            let got: Vec<u16> = out
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            assert_eq!(got, vec![3, 4, 5, 0, 1, 2]);
        }
    }

    #[test]
    fn float_output_applies_each_frame_scaling() {
        let words: Vec<u16> = vec![1, 2, 3, 4];
        let pd = PixelData::new(Samples::Words(&words), SampleType::I16, false).unwrap();
        let f0 = FramePixels {
            data: 0,
            base: 0,
            row_stride: 2,
        };
        let f1 = FramePixels {
            data: 0,
            base: 2,
            row_stride: 2,
        };
        let mut out = vec![0u8; 16];
        assemble(
            &[pd],
            &[(f0, [2.0, 1.0]), (f1, [0.5, 0.0])],
            (1, 2),
            true,
            Output::Float32,
            &mut out,
        )
        .unwrap();
        let got: Vec<f32> = out
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(got, vec![3.0, 5.0, 1.5, 2.0]);
    }

    #[test]
    fn short_pixel_data_is_an_error_not_a_panic() {
        let words: Vec<u16> = vec![1, 2, 3];
        let pd = PixelData::new(Samples::Words(&words), SampleType::U16, false).unwrap();
        let fp = FramePixels {
            data: 0,
            base: 0,
            row_stride: 2,
        };
        let mut out = vec![0u8; 8];
        assert!(assemble(
            &[pd],
            &[(fp, [1.0, 0.0])],
            (2, 2),
            true,
            Output::Stored,
            &mut out
        )
        .is_err());
    }

    #[test]
    fn refuses_ambiguous_big_endian_packing() {
        let b = [0u8; 4];
        assert!(PixelData::new(Samples::Bytes(&b), SampleType::U16, true).is_err());
        assert!(PixelData::new(Samples::Bytes(&b), SampleType::U8, true).is_ok());
    }
}
