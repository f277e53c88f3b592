//! Frames of an instance's pixel data, and a PNG rendering of the first one for viewers'
//! thumbnails: grayscale native pixel data, rescaled (slope, intercept), windowed by the stored
//! WindowCenter/WindowWidth or else the frame's minimum and maximum. The PNG is written here
//! (stored deflate blocks: no image crate).

use dicom_core::Tag;
use dicom_object::InMemDicomObject;

const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);

fn num(obj: &InMemDicomObject, g: u16, e: u16) -> Option<f64> {
    dicom::number(obj, Tag(g, e))
}

/// The frames of the pixel data: native frames cut by size, or the encapsulated fragments
/// (one per frame, or all of them for a single frame).
pub(crate) fn frames(obj: &InMemDicomObject) -> Result<Vec<Vec<u8>>, String> {
    let e = obj
        .get(PIXEL_DATA)
        .ok_or_else(|| "the instance has no pixel data".to_string())?;
    let n = num(obj, 0x0028, 0x0008).map_or(1, |f| f.max(1.0) as usize);
    if let Some(frags) = e.value().fragments() {
        if frags.len() == n {
            return Ok(frags.to_vec());
        }
        if n == 1 {
            return Ok(vec![frags.concat()]);
        }
        return Err(format!(
            "{} fragments for {n} frames: frames cannot be told apart without an offset table",
            frags.len()
        ));
    }
    let bytes = e
        .value()
        .to_bytes()
        .map_err(|_| "the pixel data is not binary".to_string())?;
    let rows = num(obj, 0x0028, 0x0010).unwrap_or(0.0) as usize;
    let cols = num(obj, 0x0028, 0x0011).unwrap_or(0.0) as usize;
    let spp = num(obj, 0x0028, 0x0002).unwrap_or(1.0) as usize;
    let bits = num(obj, 0x0028, 0x0100).unwrap_or(16.0) as usize;
    let size = (rows * cols * spp * bits).div_ceil(8);
    if size == 0 || bytes.len() < size * n {
        return Err(format!(
            "pixel data of {} bytes is too short for {n} frames of {rows}x{cols}",
            bytes.len()
        ));
    }
    Ok(bytes.chunks(size).take(n).map(<[u8]>::to_vec).collect())
}

/// The first frame as an 8-bit grayscale PNG.
pub(crate) fn png(obj: &InMemDicomObject) -> Result<Vec<u8>, String> {
    let e = obj
        .get(PIXEL_DATA)
        .ok_or("the instance has no pixel data")?;
    if e.value().fragments().is_some() {
        return Err("compressed pixel data is not rendered (retrieve the frames)".into());
    }
    if num(obj, 0x0028, 0x0002).unwrap_or(1.0) != 1.0 {
        return Err("only grayscale images are rendered".into());
    }
    let rows = num(obj, 0x0028, 0x0010).unwrap_or(0.0) as usize;
    let cols = num(obj, 0x0028, 0x0011).unwrap_or(0.0) as usize;
    let bits = num(obj, 0x0028, 0x0100).unwrap_or(16.0) as usize;
    let signed = num(obj, 0x0028, 0x0103) == Some(1.0);
    let frame = frames(obj)?.into_iter().next().ok_or("no frame")?;
    let px = rows * cols;
    let raw: Vec<f64> = match bits {
        8 => frame[..px]
            .iter()
            .map(|&b| {
                if signed {
                    f64::from(b as i8)
                } else {
                    f64::from(b)
                }
            })
            .collect(),
        16 => frame[..px * 2]
            .chunks_exact(2)
            .map(|c| {
                let v = u16::from_le_bytes([c[0], c[1]]);
                if signed {
                    f64::from(v as i16)
                } else {
                    f64::from(v)
                }
            })
            .collect(),
        b => return Err(format!("{b}-bit pixels are not rendered")),
    };
    let slope = num(obj, 0x0028, 0x1053).unwrap_or(1.0);
    let intercept = num(obj, 0x0028, 0x1052).unwrap_or(0.0);
    let values: Vec<f64> = raw.iter().map(|v| v * slope + intercept).collect();
    let (center, width) = match (num(obj, 0x0028, 0x1050), num(obj, 0x0028, 0x1051)) {
        (Some(c), Some(w)) if w > 0.0 => (c, w),
        _ => {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            ((lo + hi) / 2.0, (hi - lo).max(1.0))
        }
    };
    let lo = center - width / 2.0;
    let gray: Vec<u8> = values
        .iter()
        .map(|v| (((v - lo) / width) * 255.0).clamp(0.0, 255.0) as u8)
        .collect();
    Ok(encode_png(&gray, cols, rows))
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// An 8-bit grayscale PNG of `gray` (`w` x `h`), zlib with stored blocks.
pub(crate) fn encode_png(gray: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity((w + 1) * h);
    for row in gray.chunks(w.max(1)).take(h) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut z = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        z.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(b) = blocks.next() {
        z.push(u8::from(blocks.peek().is_none()));
        let n = b.len() as u16;
        z.extend_from_slice(&n.to_le_bytes());
        z.extend_from_slice(&(!n).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}
