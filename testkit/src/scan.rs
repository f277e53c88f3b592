//! Looking for planted identifiers in bytes whatever their encoding: [`PhiScanner`] searches
//! each [`Needle`] as UTF-8, Latin-1, UTF-16LE and ISO 2022 JIS (the JIS X 0208 runs between
//! escape sequences), in its own case, upper and lower case (ASCII letters case-insensitively),
//! and with diacritics folded (`MÜLLER` as `MULLER` and `MUELLER`): tantivy lowercases terms,
//! a scrubber may transliterate, a vendor block may be UTF-16.
//!
//! A needle made only of digits counts only when not preceded by a digit (as in
//! [`crate::find_leak`]): a date occurs by chance inside a random `2.25.` UID.

use std::path::{Path, PathBuf};

/// One planted identifier: what it is (printed in reports) and its value (searched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    /// What the value is, e.g. `P1 family name`: reports print this, not the value.
    pub label: String,
    /// The planted value.
    pub value: String,
}

/// One occurrence of a needle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index into the scanner's needles.
    pub needle: usize,
    /// How it was encoded where it was found (`utf-8`, `latin-1`, `utf-16le`, `iso-2022-jp`).
    pub encoding: &'static str,
}

/// The shortest byte pattern searched: shorter ones occur by chance.
const MIN_PATTERN: usize = 4;

/// The byte forms of `value`: (encoding, bytes), deduplicated, each at least 4 bytes long.
pub fn needle_forms(value: &str) -> Vec<(&'static str, Vec<u8>)> {
    let mut texts = vec![
        value.to_string(),
        value.to_uppercase(),
        value.to_lowercase(),
    ];
    for t in texts.clone() {
        texts.push(fold(&t, false));
        texts.push(fold(&t, true));
    }
    texts.sort();
    texts.dedup();
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    for t in &texts {
        out.push(("utf-8", t.as_bytes().to_vec()));
        if !t.is_ascii() {
            let latin1: Option<Vec<u8>> = t.chars().map(|c| u8::try_from(c as u32).ok()).collect();
            if let Some(l) = latin1 {
                out.push(("latin-1", l));
            }
            let (jis, _, unmappable) = encoding_rs::ISO_2022_JP.encode(t);
            if !unmappable {
                for run in jis_runs(&jis) {
                    out.push(("iso-2022-jp", run));
                }
            }
        }
        out.push((
            "utf-16le",
            t.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ));
    }
    out.retain(|(_, b)| b.len() >= MIN_PATTERN);
    out.sort();
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

/// The two-byte runs of an ISO-2022-JP encoding (between `ESC $ B` / `ESC $ @` and the next
/// escape): what a file holds of the ideographs whatever escape precedes them.
fn jis_runs(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut runs = Vec::new();
    let mut i = 0;
    let mut double = false;
    let mut cur = Vec::new();
    while i < bytes.len() {
        if bytes[i] == 0x1b && i + 2 < bytes.len() {
            if double && !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            cur.clear();
            double = bytes[i + 1] == b'$';
            i += 3;
            continue;
        }
        if double {
            cur.push(bytes[i]);
        }
        i += 1;
    }
    if double && !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// Latin diacritics folded to ASCII; with `german`, `Ä Ö Ü` become `AE OE UE`.
fn fold(s: &str, german: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let r: &str = match c {
            'Ä' if german => "AE",
            'Ö' if german => "OE",
            'Ü' if german => "UE",
            'ä' if german => "ae",
            'ö' if german => "oe",
            'ü' if german => "ue",
            'À'..='Å' => "A",
            'à'..='å' => "a",
            'Æ' => "AE",
            'æ' => "ae",
            'Ç' => "C",
            'ç' => "c",
            'È'..='Ë' => "E",
            'è'..='ë' => "e",
            'Ì'..='Ï' => "I",
            'ì'..='ï' => "i",
            'Ñ' => "N",
            'ñ' => "n",
            'Ò'..='Ö' | 'Ø' => "O",
            'ò'..='ö' | 'ø' => "o",
            'Ù'..='Ü' => "U",
            'ù'..='ü' => "u",
            'Ý' => "Y",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            'Ł' => "L",
            'ł' => "l",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(r);
    }
    out
}

/// Aho-Corasick over every form of every needle.
#[derive(Debug)]
pub struct PhiScanner {
    needles: Vec<Needle>,
    ac: aho_corasick::AhoCorasick,
    /// Pattern -> (needle, encoding).
    owner: Vec<(usize, &'static str)>,
    digits_only: Vec<bool>,
}

impl PhiScanner {
    /// A scanner for `needles` (each in every form of [`needle_forms`]).
    pub fn new(needles: Vec<Needle>) -> Self {
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (i, n) in needles.iter().enumerate() {
            for (enc, bytes) in needle_forms(&n.value) {
                patterns.push(bytes);
                owner.push((i, enc));
            }
        }
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .unwrap();
        let digits_only = needles
            .iter()
            .map(|n| n.value.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        PhiScanner {
            needles,
            ac,
            owner,
            digits_only,
        }
    }

    /// The needles, in the order hits index them.
    pub fn needles(&self) -> &[Needle] {
        &self.needles
    }

    /// The needles found in `bytes`, each once (with the first encoding found).
    pub fn scan_bytes(&self, bytes: &[u8]) -> Vec<Hit> {
        let mut found: Vec<Option<&'static str>> = vec![None; self.needles.len()];
        for m in self.ac.find_overlapping_iter(bytes) {
            let (i, enc) = self.owner[m.pattern().as_usize()];
            let at = m.start();
            if self.digits_only[i] {
                let before_digit = at > 0 && bytes[at - 1].is_ascii_digit();
                let before_wide_digit = enc == "utf-16le"
                    && at > 1
                    && bytes[at - 1] == 0
                    && bytes[at - 2].is_ascii_digit();
                if before_digit || before_wide_digit {
                    continue;
                }
            }
            found[i].get_or_insert(enc);
        }
        found
            .into_iter()
            .enumerate()
            .filter_map(|(needle, enc)| enc.map(|encoding| Hit { needle, encoding }))
            .collect()
    }

    /// Every file under `dir` (recursively) with the needles found in it.
    pub fn scan_dir(&self, dir: &Path) -> Vec<(PathBuf, Hit)> {
        let mut hits = Vec::new();
        for p in crate::files_below(dir) {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let mut found = self.scan_bytes(&bytes);
            if let Some(inner) = inflated(&bytes) {
                for h in self.scan_bytes(&inner) {
                    if !found.iter().any(|f| f.needle == h.needle) {
                        found.push(h);
                    }
                }
            }
            hits.extend(found.into_iter().map(|h| (p.clone(), h)));
        }
        hits.sort_by(|a, b| (&a.0, a.1.needle).cmp(&(&b.0, b.1.needle)));
        hits
    }
}

/// What a compressed file holds: a gzip file (`.nii.gz`) inflated, or the data set of a Part 10
/// file in Deflated Explicit VR Little Endian; `None` for anything else.
pub fn inflated(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    const CAP: u64 = 1 << 28;
    let mut out = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes)
            .take(CAP)
            .read_to_end(&mut out)
            .ok()?;
        return Some(out);
    }
    // Part 10: preamble, DICM, (0002,0000) UL group length, then the meta group.
    if bytes.get(128..132)? != b"DICM" || bytes.get(132..136)? != [2, 0, 0, 0] {
        return None;
    }
    let len = u32::from_le_bytes(bytes.get(140..144)?.try_into().ok()?) as usize;
    let meta = bytes.get(144..144 + len)?;
    let deflated = meta.windows(22).any(|w| w == b"1.2.840.10008.1.2.1.99");
    if !deflated {
        return None;
    }
    flate2::read::DeflateDecoder::new(&bytes[144 + len..])
        .take(CAP)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner(values: &[&str]) -> PhiScanner {
        PhiScanner::new(
            values
                .iter()
                .map(|v| Needle {
                    label: format!("label of {v}"),
                    value: v.to_string(),
                })
                .collect(),
        )
    }

    fn found(s: &PhiScanner, bytes: &[u8]) -> Vec<(String, &'static str)> {
        s.scan_bytes(bytes)
            .into_iter()
            .map(|h| (s.needles()[h.needle].value.clone(), h.encoding))
            .collect()
    }

    #[test]
    fn every_encoding_and_case() {
        let s = scanner(&["MÜLLER", "山田", "20240312"]);
        assert_eq!(found(&s, b"x M\xdcller y"), [("MÜLLER".into(), "latin-1")]);
        assert_eq!(found(&s, "müller".as_bytes()), [("MÜLLER".into(), "utf-8")]);
        assert_eq!(found(&s, b"term mueller"), [("MÜLLER".into(), "utf-8")]);
        assert_eq!(found(&s, b"MULLER"), [("MÜLLER".into(), "utf-8")]);
        let wide: Vec<u8> = "Müller".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(found(&s, &wide), [("MÜLLER".into(), "utf-16le")]);
        let (jis, _, _) = encoding_rs::ISO_2022_JP.encode("Yamada=山田^太郎");
        assert_eq!(found(&s, &jis), [("山田".into(), "iso-2022-jp")]);
        assert_eq!(found(&s, "山田".as_bytes()), [("山田".into(), "utf-8")]);
        assert!(found(&s, b"2.25.1220240312").is_empty());
        assert_eq!(found(&s, b"DA20240312"), [("20240312".into(), "utf-8")]);
    }
}
