//! Identifiers inside binary values, in whatever encoding they were written: ASCII and Latin-1
//! (one byte a character), UTF-8 (for the non-ASCII ones) and UTF-16 little and big endian (at
//! either alignment, since strings sit anywhere in a blob). Each occurrence is overwritten with
//! `X` in its own encoding, so the value keeps its length and every offset inside it.

/// How the bytes of a pattern are read: one byte a unit, or two in either order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    Byte,
    Le,
    Be,
}

impl Width {
    fn size(self) -> usize {
        if self == Width::Byte {
            1
        } else {
            2
        }
    }

    fn unit(self, b: &[u8], at: usize) -> Option<u16> {
        match self {
            Width::Byte => b.get(at).map(|&c| u16::from(c)),
            Width::Le => Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?])),
            Width::Be => Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?])),
        }
    }

    fn x(self) -> &'static [u8] {
        match self {
            Width::Byte => b"X",
            Width::Le => b"X\0",
            Width::Be => b"\0X",
        }
    }
}

/// Case folding of one unit: ASCII and Latin-1 letters to upper case.
fn fold(u: u16) -> u16 {
    match u {
        0x61..=0x7A => u - 0x20,
        0xE0..=0xFE if u != 0xF7 => u - 0x20,
        _ => u,
    }
}

fn is_alnum(u: u16) -> bool {
    char::from_u32(u32::from(u)).is_some_and(char::is_alphanumeric)
}

/// CJK ideographs, kana and hangul: a name of two of them is already distinctive.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x3040..=0x30FF | 0x3400..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

struct Pattern {
    units: Vec<u16>,
    width: Width,
    /// Removed wherever it occurs, not only standing alone (see [`distinctive`]).
    anywhere: bool,
}

/// In binary headers values sit in uninitialized garbage as often as between separators, so a
/// distinctive value (6 or more characters, with a digit: record numbers, accession numbers,
/// station names like `MRC35119`) is removed wherever it occurs. Any other value is removed only
/// where it stands alone: a name like "Patient" must not eat the CSA field `ImagePositionPatient`.
fn distinctive(s: &str) -> bool {
    s.chars().count() >= 6 && s.chars().any(|c| c.is_ascii_digit())
}

/// The byte patterns of the whole values gathered: 4 or more characters (2 of CJK).
fn patterns<'a>(needles: impl Iterator<Item = &'a str>) -> Vec<Pattern> {
    let mut out = Vec::new();
    for n in needles {
        let chars = n.chars().count();
        if chars < 4 && !(chars >= 2 && n.chars().all(is_cjk)) {
            continue;
        }
        // Japanese, Chinese and Korean text has no spaces between words.
        let anywhere = distinctive(n) || n.chars().any(is_cjk);
        let fold_all = |u: Vec<u16>| u.into_iter().map(fold).collect::<Vec<u16>>();
        if n.chars().all(|c| u32::from(c) <= 0xFF) {
            let units = n.chars().map(|c| u32::from(c) as u16).collect();
            out.push(Pattern {
                units: fold_all(units),
                width: Width::Byte,
                anywhere,
            });
        }
        if !n.is_ascii() {
            // UTF-8: the non-ASCII letters' bytes differ by case, so both cases are looked for.
            let (upper, lower) = (n.to_uppercase(), n.to_lowercase());
            for v in [upper.as_str(), lower.as_str()] {
                out.push(Pattern {
                    units: fold_all(v.bytes().map(u16::from).collect()),
                    width: Width::Byte,
                    anywhere,
                });
            }
        }
        let utf16: Vec<u16> = n.encode_utf16().collect();
        if utf16.len() == chars {
            for width in [Width::Le, Width::Be] {
                out.push(Pattern {
                    units: fold_all(utf16.clone()),
                    width,
                    anywhere,
                });
            }
        }
    }
    // Longest first, so that a full name goes before its parts.
    out.sort_by_key(|p| std::cmp::Reverse(p.units.len()));
    out
}

/// Overwrite every occurrence of the whole values `needles` in `bytes` with `X` in the encoding
/// it was found in; returns whether anything changed.
pub(super) fn scrub<'a>(needles: impl Iterator<Item = &'a str>, bytes: &mut [u8]) -> bool {
    let pats = patterns(needles);
    let mut changed = false;
    for width in [Width::Byte, Width::Le, Width::Be] {
        // Patterns of this width by the low byte of their first unit.
        let mut buckets: Vec<Vec<&Pattern>> = (0..256).map(|_| Vec::new()).collect();
        for p in pats.iter().filter(|p| p.width == width) {
            buckets[usize::from(p.units[0] & 0xFF)].push(p);
        }
        if buckets.iter().all(Vec::is_empty) {
            continue;
        }
        let size = width.size();
        let mut i = 0;
        while i + size <= bytes.len() {
            let Some(u0) = width.unit(bytes, i).map(fold) else {
                break;
            };
            let bucket = &buckets[usize::from(u0 & 0xFF)];
            if bucket.is_empty() {
                i += 1;
                continue;
            }
            let before_ok = i < size || width.unit(bytes, i - size).is_none_or(|u| !is_alnum(u));
            let hit = bucket.iter().find(|p| {
                let end = i + p.units.len() * size;
                end <= bytes.len()
                    && p.units
                        .iter()
                        .enumerate()
                        .all(|(k, &pu)| width.unit(bytes, i + k * size).map(fold) == Some(pu))
                    && (p.anywhere
                        || (before_ok && width.unit(bytes, end).is_none_or(|u| !is_alnum(u))))
            });
            match hit {
                Some(p) => {
                    let end = i + p.units.len() * size;
                    for chunk in bytes[i..end].chunks_mut(size) {
                        chunk.copy_from_slice(width.x());
                    }
                    changed = true;
                    i = end;
                }
                None => i += 1,
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn finds_values_in_every_encoding_and_keeps_lengths() {
        let needles = ["MÜLLER^JÜRGEN", "MÜLLER", "JÜRGEN", "MRN1744974", "山田"];
        let mut blob = b"\x01\x02".to_vec();
        blob.extend_from_slice(b"M\xfcller^J\xfcrgen\0"); // Latin-1, other case
        blob.extend_from_slice("müller\0".as_bytes()); // UTF-8
        blob.push(0x07); // odd alignment for what follows
        blob.extend(utf16le("Jürgen Müller"));
        blob.extend(utf16be("MRN1744974"));
        blob.extend(utf16le("山田"));
        blob.extend_from_slice(b"ImagePositionPatient xmrn1744974x");
        let len = blob.len();
        assert!(scrub(needles.iter().copied(), &mut blob));
        assert_eq!(blob.len(), len);
        let lossy = String::from_utf8_lossy(&blob).to_string();
        for n in ["M\u{fc}ller", "J\u{fc}rgen", "müller", "1744974"] {
            assert!(
                !lossy.to_lowercase().contains(&n.to_lowercase()),
                "{n}: {lossy}"
            );
        }
        for hidden in [
            utf16le("Jürgen"),
            utf16le("Müller"),
            utf16be("1744974"),
            utf16le("山田"),
        ] {
            assert!(
                !blob.windows(hidden.len()).any(|w| w == hidden),
                "{hidden:?} in {blob:?}"
            );
        }
        assert!(lossy.contains("ImagePositionPatient"));
        let mut clean = b"nothing Muellerx here".to_vec();
        assert!(!scrub(needles.iter().copied(), &mut clean));
    }
}
