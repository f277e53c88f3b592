//! The 348-byte NIfTI-1 header (single file, `n+1`), little endian, followed by the 4-byte
//! extension flag (no extensions): the voxels start at byte 352.

/// Byte offset of the voxel data.
pub(crate) const VOX_OFFSET: usize = 352;

/// What the header says.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// dim[1..]: 3 or 4 values.
    pub(crate) dims: Vec<usize>,
    /// pixdim[1..=4]: voxel size (mm) and TR (s).
    pub(crate) pixdim: [f64; 4],
    pub(crate) datatype: i16,
    pub(crate) bitpix: i16,
    pub(crate) scl: [f64; 2],
    /// (b, c, d), offset, qfac; `None` leaves qform_code 0.
    pub(crate) quatern: Option<([f64; 3], [f64; 3], f64)>,
    /// srow_x, srow_y, srow_z; `None` leaves sform_code 0.
    pub(crate) srows: Option<[[f64; 4]; 3]>,
    /// freq_dim, phase_dim, slice_dim packed (NIfTI `dim_info`).
    pub(crate) dim_info: u8,
}

const NIFTI_XFORM_SCANNER_ANAT: i16 = 1;
const NIFTI_UNITS_MM: u8 = 2;
const NIFTI_UNITS_SEC: u8 = 8;

struct W<'a>(&'a mut [u8]);

impl W<'_> {
    fn i16(&mut self, at: usize, v: i16) {
        self.0[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, at: usize, v: i32) {
        self.0[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn f32(&mut self, at: usize, v: f64) {
        self.0[at..at + 4].copy_from_slice(&(v as f32).to_le_bytes());
    }
}

/// Write the header and extension flag into `out[..352]`. Dimensions must fit NIfTI-1's i16
/// (checked by the caller).
pub(crate) fn write(h: &Header, out: &mut [u8]) {
    let buf = &mut out[..VOX_OFFSET];
    buf.fill(0);
    let mut w = W(buf);
    w.i32(0, 348);
    w.0[38] = b'r';
    w.0[39] = h.dim_info;
    w.i16(40, h.dims.len() as i16);
    for (n, d) in h.dims.iter().enumerate() {
        w.i16(42 + 2 * n, *d as i16);
    }
    for n in h.dims.len()..7 {
        w.i16(42 + 2 * n, 1);
    }
    w.i16(70, h.datatype);
    w.i16(72, h.bitpix);
    let qfac = h.quatern.map(|q| q.2).unwrap_or(1.0);
    w.f32(76, qfac);
    for (n, p) in h.pixdim.iter().enumerate() {
        w.f32(80 + 4 * n, *p);
    }
    for n in 5..8 {
        w.f32(76 + 4 * n, 1.0);
    }
    w.f32(108, VOX_OFFSET as f64);
    w.f32(112, h.scl[0]);
    w.f32(116, h.scl[1]);
    w.0[123] = NIFTI_UNITS_MM | NIFTI_UNITS_SEC;
    let descrip = b"neurofed";
    w.0[148..148 + descrip.len()].copy_from_slice(descrip);
    if let Some((q, off, _)) = h.quatern {
        w.i16(252, NIFTI_XFORM_SCANNER_ANAT);
        for n in 0..3 {
            w.f32(256 + 4 * n, q[n]);
            w.f32(268 + 4 * n, off[n]);
        }
    }
    if let Some(s) = h.srows {
        w.i16(254, NIFTI_XFORM_SCANNER_ANAT);
        for (r, row) in s.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                w.f32(280 + 16 * r + 4 * c, *v);
            }
        }
    }
    w.0[344..348].copy_from_slice(b"n+1\0");
    // 348..352: extension flag, all zero.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let h = Header {
            dims: vec![3, 4, 5, 2],
            pixdim: [1.0, 2.0, 3.0, 2.5],
            datatype: 512,
            bitpix: 16,
            scl: [1.0, 0.0],
            quatern: Some(([0.0, 0.0, 1.0], [1.0, 2.0, 3.0], -1.0)),
            srows: Some([
                [1.0, 0.0, 0.0, 1.0],
                [0.0, 2.0, 0.0, 2.0],
                [0.0, 0.0, 3.0, 3.0],
            ]),
            dim_info: 0,
        };
        let mut b = vec![0u8; VOX_OFFSET];
        write(&h, &mut b);
        assert_eq!(i32::from_le_bytes(b[0..4].try_into().unwrap()), 348);
        assert_eq!(&b[344..348], b"n+1\0");
        let i16_at = |o: usize| i16::from_le_bytes(b[o..o + 2].try_into().unwrap());
        let f32_at = |o: usize| f32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        assert_eq!(
            (0..8).map(|n| i16_at(40 + 2 * n)).collect::<Vec<_>>(),
            vec![4, 3, 4, 5, 2, 1, 1, 1]
        );
        assert_eq!(i16_at(70), 512);
        assert_eq!(f32_at(76), -1.0);
        assert_eq!(f32_at(88), 3.0);
        assert_eq!(f32_at(92), 2.5);
        assert_eq!(f32_at(108), 352.0);
        assert_eq!((i16_at(252), i16_at(254)), (1, 1));
        assert_eq!(f32_at(300), 2.0);
        assert_eq!(b[123], 10);
    }
}
