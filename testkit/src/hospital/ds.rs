//! A small data set builder and Explicit VR Little Endian writer for the hospital corpus, byte
//! for byte under the generator's control (dicom-rs encodes text with one character set per
//! object and cannot write a first-value-empty ISO 2022 set, a private block as OB, OW or UN of
//! our choosing, or Latin-1 and UTF-16LE bytes side by side), and the flattening of a data set
//! into `path -> value` rows that the scored test compares with dicom-rs's reading of the exports.

use std::io::Write;

use dicom_core::{Tag, VR};

/// The character set text values are encoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// `ISO_IR 100`.
    Latin1,
    /// `ISO_IR 192`.
    Utf8,
    /// `\ISO 2022 IR 87`: ASCII, with JIS X 0208 after `ESC $ B`.
    Jis,
}

impl Charset {
    /// The SpecificCharacterSet value.
    pub fn code(self) -> &'static str {
        match self {
            Charset::Latin1 => "ISO_IR 100",
            Charset::Utf8 => "ISO_IR 192",
            Charset::Jis => "\\ISO 2022 IR 87",
        }
    }

    fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Charset::Latin1 => s
                .chars()
                .map(|c| u8::try_from(c as u32).unwrap_or(b'?'))
                .collect(),
            Charset::Utf8 => s.as_bytes().to_vec(),
            Charset::Jis => encoding_rs::ISO_2022_JP.encode(s).0.into_owned(),
        }
    }
}

/// An element's value before encoding.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    /// Text (encoded with the object's character set when the VR is a text VR).
    Text(String),
    /// Bytes as they are.
    Bin(Vec<u8>),
    /// Items.
    Seq(Vec<Ds>),
}

/// A data set: elements in any order (sorted when written).
#[derive(Debug, Clone, Default)]
pub(crate) struct Ds {
    pub(crate) els: Vec<(Tag, VR, Val)>,
}

impl Ds {
    pub(crate) fn new() -> Self {
        Ds::default()
    }
    /// A string value (any string VR; multi-values joined by `\`). Replaces an existing one.
    pub(crate) fn s(&mut self, tag: Tag, vr: VR, v: impl Into<String>) -> &mut Self {
        self.put(tag, vr, Val::Text(v.into()))
    }
    pub(crate) fn us(&mut self, tag: Tag, v: u16) -> &mut Self {
        self.put(tag, VR::US, Val::Bin(v.to_le_bytes().to_vec()))
    }
    pub(crate) fn bin(&mut self, tag: Tag, vr: VR, v: Vec<u8>) -> &mut Self {
        self.put(tag, vr, Val::Bin(v))
    }
    pub(crate) fn seq(&mut self, tag: Tag, items: Vec<Ds>) -> &mut Self {
        self.put(tag, VR::SQ, Val::Seq(items))
    }
    fn put(&mut self, tag: Tag, vr: VR, v: Val) -> &mut Self {
        self.els.retain(|(t, _, _)| *t != tag);
        self.els.push((tag, vr, v));
        self
    }
    /// A builder in one expression: `Ds::with(|d| { d.s(...); })`.
    pub(crate) fn with(f: impl FnOnce(&mut Ds)) -> Ds {
        let mut d = Ds::new();
        f(&mut d);
        d
    }

    /// Explicit VR Little Endian bytes, text encoded with `cs`.
    pub(crate) fn encode(&self, cs: Charset) -> Vec<u8> {
        let mut els: Vec<&(Tag, VR, Val)> = self.els.iter().collect();
        els.sort_by_key(|(t, _, _)| *t);
        let mut out = Vec::new();
        for (tag, vr, val) in els {
            let value = match val {
                Val::Seq(items) => {
                    let mut v = Vec::new();
                    for item in items {
                        let b = item.encode(cs);
                        v.extend_from_slice(&0xFFFEu16.to_le_bytes());
                        v.extend_from_slice(&0xE000u16.to_le_bytes());
                        v.extend_from_slice(&(b.len() as u32).to_le_bytes());
                        v.extend_from_slice(&b);
                    }
                    v
                }
                Val::Text(s) => {
                    let mut b = if is_text(*vr) {
                        cs.encode(s)
                    } else {
                        s.as_bytes().to_vec()
                    };
                    if b.len() % 2 == 1 {
                        b.push(if *vr == VR::UI { 0 } else { b' ' });
                    }
                    b
                }
                Val::Bin(b) => {
                    let mut b = b.clone();
                    if b.len() % 2 == 1 {
                        b.push(0);
                    }
                    b
                }
            };
            header(&mut out, *tag, *vr, value.len());
            out.extend_from_slice(&value);
        }
        out
    }

    /// Every element at every depth as `path -> value` (see [`Flat`]), text as written.
    pub(crate) fn flatten(&self) -> Vec<Flat> {
        let mut out = Vec::new();
        self.flatten_into("", &mut out);
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    fn flatten_into(&self, prefix: &str, out: &mut Vec<Flat>) {
        for (tag, vr, val) in &self.els {
            let path = format!("{prefix}{}", tag_key(*tag));
            match val {
                Val::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        item.flatten_into(&format!("{path}[{i}]/"), out);
                    }
                }
                Val::Text(s) => out.push(Flat {
                    path,
                    vr: *vr,
                    value: FlatValue::Text(s.clone()),
                }),
                Val::Bin(b) if *vr == VR::AT => out.push(Flat {
                    path,
                    vr: *vr,
                    value: FlatValue::Text(
                        b.chunks_exact(4)
                            .map(|c| {
                                tag_key(Tag(
                                    u16::from_le_bytes([c[0], c[1]]),
                                    u16::from_le_bytes([c[2], c[3]]),
                                ))
                            })
                            .collect::<Vec<_>>()
                            .join("\\"),
                    ),
                }),
                Val::Bin(b) if matches!(vr, VR::US | VR::UL | VR::FD) => out.push(Flat {
                    path,
                    vr: *vr,
                    value: FlatValue::Text(numbers_of(*vr, b)),
                }),
                Val::Bin(b) => out.push(Flat {
                    path,
                    vr: *vr,
                    value: FlatValue::Bytes(b.clone()),
                }),
            }
        }
    }
}

/// Binary numbers as dicom-rs prints them (`1\\2`).
fn numbers_of(vr: VR, b: &[u8]) -> String {
    let vals: Vec<String> = match vr {
        VR::US => b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]).to_string())
            .collect(),
        VR::UL => b
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string())
            .collect(),
        _ => b
            .chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                f64::from_le_bytes(a).to_string()
            })
            .collect(),
    };
    vals.join("\\")
}

/// `GGGGEEEE`, the path component of a tag.
pub fn tag_key(tag: Tag) -> String {
    format!("{:04X}{:04X}", tag.0, tag.1)
}

fn is_text(vr: VR) -> bool {
    matches!(
        vr,
        VR::SH | VR::LO | VR::ST | VR::LT | VR::UT | VR::PN | VR::UC
    )
}

fn long_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB
            | VR::OD
            | VR::OF
            | VR::OL
            | VR::OV
            | VR::OW
            | VR::SQ
            | VR::UC
            | VR::UN
            | VR::UR
            | VR::UT
            | VR::SV
            | VR::UV
    )
}

fn header(out: &mut Vec<u8>, tag: Tag, vr: VR, len: usize) {
    out.extend_from_slice(&tag.0.to_le_bytes());
    out.extend_from_slice(&tag.1.to_le_bytes());
    out.extend_from_slice(&vr.to_bytes());
    if long_vr(vr) {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&(len as u16).to_le_bytes());
    }
}

/// A Part 10 file: preamble, meta group, then the data set in Explicit VR Little Endian or, with
/// `deflate`, Deflated Explicit VR Little Endian.
pub(crate) fn part10(ds: &Ds, cs: Charset, class: &str, instance: &str, deflate: bool) -> Vec<u8> {
    let ts = if deflate {
        "1.2.840.10008.1.2.1.99"
    } else {
        "1.2.840.10008.1.2.1"
    };
    let mut meta = Ds::new();
    meta.bin(Tag(0x0002, 0x0001), VR::OB, vec![0, 1])
        .s(Tag(0x0002, 0x0002), VR::UI, class)
        .s(Tag(0x0002, 0x0003), VR::UI, instance)
        .s(Tag(0x0002, 0x0010), VR::UI, ts)
        .s(
            Tag(0x0002, 0x0012),
            VR::UI,
            "1.2.826.0.1.3680043.9.7431.0.1",
        )
        .s(Tag(0x0002, 0x0013), VR::SH, "HOSPITAL_SYNTH")
        .s(Tag(0x0002, 0x0016), VR::AE, "SCANNER_AE01");
    let meta = meta.encode(Charset::Utf8);
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    header(&mut out, Tag(0x0002, 0x0000), VR::UL, 4);
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    let body = ds.encode(cs);
    if deflate {
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&body).unwrap();
        out.extend_from_slice(&z.finish().unwrap());
    } else {
        out.extend_from_slice(&body);
    }
    out
}

/// One element of a flattened data set: its path (`GGGGEEEE`, items as `[i]`, joined by `/`:
/// `0040A730[0]/0040A160`), VR and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Flat {
    /// Where it is.
    pub path: String,
    /// Its VR.
    pub vr: VR,
    /// Its value.
    pub value: FlatValue,
}

/// A flattened value.
#[derive(Debug, Clone, PartialEq)]
pub enum FlatValue {
    /// Text (multi-values joined by `\`), trailing padding removed.
    Text(String),
    /// Binary values (OB, OW, UN, US, FL, ...), as their bytes.
    Bytes(Vec<u8>),
}

impl FlatValue {
    /// The text, if a text value.
    pub fn text(&self) -> Option<&str> {
        match self {
            FlatValue::Text(s) => Some(s),
            FlatValue::Bytes(_) => None,
        }
    }
}

/// A dicom-rs object flattened like the generator's data sets (the test's view of an export).
pub fn flatten_object(obj: &dicom_object::InMemDicomObject) -> Vec<Flat> {
    let mut out = Vec::new();
    flatten_obj_into(obj, "", &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn flatten_obj_into(obj: &dicom_object::InMemDicomObject, prefix: &str, out: &mut Vec<Flat>) {
    use dicom_core::header::Header;
    use dicom_core::value::Value;
    for e in obj {
        let path = format!("{prefix}{}", tag_key(e.tag()));
        let vr = e.vr();
        match e.value() {
            Value::Sequence(seq) => {
                for (i, item) in seq.items().iter().enumerate() {
                    flatten_obj_into(item, &format!("{path}[{i}]/"), out);
                }
            }
            Value::Primitive(dicom_core::PrimitiveValue::Tags(ts)) => out.push(Flat {
                path,
                vr,
                value: FlatValue::Text(
                    ts.iter()
                        .map(|t| tag_key(*t))
                        .collect::<Vec<_>>()
                        .join("\\"),
                ),
            }),
            Value::Primitive(p) => {
                let value = if is_text(vr)
                    || matches!(
                        vr,
                        VR::CS
                            | VR::DA
                            | VR::DT
                            | VR::TM
                            | VR::UI
                            | VR::DS
                            | VR::IS
                            | VR::AS
                            | VR::AE
                            | VR::UR
                            | VR::US
                            | VR::UL
                            | VR::SS
                            | VR::SL
                            | VR::FL
                            | VR::FD
                    ) {
                    FlatValue::Text(
                        p.to_str()
                            .split('\\')
                            .map(|v| v.trim_end_matches([' ', '\0']).trim_start())
                            .collect::<Vec<_>>()
                            .join("\\"),
                    )
                } else {
                    FlatValue::Bytes(p.to_bytes().into_owned())
                };
                out.push(Flat { path, vr, value });
            }
            Value::PixelSequence(_) => out.push(Flat {
                path,
                vr,
                value: FlatValue::Bytes(Vec::new()),
            }),
        }
    }
}

/// A path with keywords where the dictionary knows the tag: `ContentSequence[0]/TextValue`.
pub fn describe(path: &str) -> String {
    use dicom_core::dictionary::DataDictionary;
    let dict = dicom_dictionary_std::StandardDataDictionary;
    path.split('/')
        .map(|part| {
            let (key, item) = part.split_at(part.find('[').unwrap_or(part.len()));
            let tag = (key.len() == 8)
                .then(|| {
                    let g = u16::from_str_radix(&key[..4], 16).ok()?;
                    let e = u16::from_str_radix(&key[4..], 16).ok()?;
                    Some(Tag(g, e))
                })
                .flatten();
            let name = tag
                .filter(|t| t.0 % 2 == 0)
                .and_then(|t| dict.by_tag(t))
                .map(|d| d.alias.to_string())
                .unwrap_or_else(|| {
                    format!(
                        "({},{})",
                        &key[..4.min(key.len())],
                        &key[4.min(key.len())..]
                    )
                });
            format!("{name}{item}")
        })
        .collect::<Vec<_>>()
        .join("/")
}
