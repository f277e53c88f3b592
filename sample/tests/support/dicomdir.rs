//! A minimal, independent DICOMDIR reader for the tests: parses Explicit VR Little Endian by
//! hand and follows the records' byte offsets from the root, as a media reader does.

use std::collections::BTreeMap;

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn u16(&mut self) -> u16 {
        let v = u16::from_le_bytes([self.b[self.at], self.b[self.at + 1]]);
        self.at += 2;
        v
    }
    fn u32(&mut self) -> u32 {
        let v = u32::from_le_bytes(self.b[self.at..self.at + 4].try_into().unwrap());
        self.at += 4;
        v
    }
    /// One element header: (group, element, vr, length).
    fn header(&mut self) -> (u16, u16, [u8; 2], u32) {
        let (g, e) = (self.u16(), self.u16());
        if g == 0xFFFE {
            return (g, e, *b"  ", self.u32());
        }
        let vr = [self.b[self.at], self.b[self.at + 1]];
        self.at += 2;
        let long = matches!(
            &vr,
            b"OB" | b"OW" | b"OF" | b"SQ" | b"UT" | b"UN" | b"UC" | b"UR"
        );
        let len = if long {
            self.at += 2;
            self.u32()
        } else {
            u32::from(self.u16())
        };
        (g, e, vr, len)
    }
}

/// A record: its type, next sibling and first child offsets.
type Record = (String, u32, u32);

/// Every record reached from the root by following offsets, as (type, depth), in visiting
/// order. Panics if an offset points at no record or a record is reached twice.
pub fn walk(bytes: &[u8]) -> Vec<(String, usize)> {
    assert_eq!(&bytes[128..132], b"DICM");
    let mut c = Cursor { b: bytes, at: 132 };
    let mut root = 0u32;
    let mut records: BTreeMap<u32, Record> = BTreeMap::new();
    while c.at < bytes.len() {
        let (g, e, vr, len) = c.header();
        if (g, e) == (0x0004, 0x1200) {
            root = c.u32();
        } else if &vr == b"SQ" && (g, e) == (0x0004, 0x1220) {
            assert_eq!(len, u32::MAX, "undefined-length sequence");
            loop {
                let start = c.at as u32;
                let (ig, ie, _, ilen) = c.header();
                if (ig, ie) == (0xFFFE, 0xE0DD) {
                    break;
                }
                assert_eq!((ig, ie), (0xFFFE, 0xE000), "item at {start}");
                let end = (ilen != u32::MAX).then(|| c.at + ilen as usize);
                let mut rec: Record = (String::new(), 0, 0);
                loop {
                    if Some(c.at) == end {
                        break;
                    }
                    let (g, e, vr, len) = c.header();
                    if (g, e) == (0xFFFE, 0xE00D) {
                        break;
                    }
                    assert_ne!(&vr, b"SQ", "nested sequences are not expected in records");
                    let value = &bytes[c.at..c.at + len as usize];
                    match (g, e) {
                        (0x0004, 0x1400) => rec.1 = u32::from_le_bytes(value.try_into().unwrap()),
                        (0x0004, 0x1420) => rec.2 = u32::from_le_bytes(value.try_into().unwrap()),
                        (0x0004, 0x1430) => {
                            rec.0 = String::from_utf8_lossy(value).trim().to_string()
                        }
                        _ => {}
                    }
                    c.at += len as usize;
                }
                records.insert(start, rec);
            }
        } else {
            c.at += len as usize;
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    visit(&records, root, 0, &mut seen, &mut out);
    out
}

fn visit(
    records: &BTreeMap<u32, Record>,
    mut off: u32,
    depth: usize,
    seen: &mut std::collections::BTreeSet<u32>,
    out: &mut Vec<(String, usize)>,
) {
    while off != 0 {
        let (kind, next, lower) = records
            .get(&off)
            .unwrap_or_else(|| panic!("offset {off} is not a record"));
        assert!(seen.insert(off), "record at {off} reached twice");
        out.push((kind.clone(), depth));
        if *lower != 0 {
            visit(records, *lower, depth + 1, seen, out);
        }
        off = *next;
    }
}
