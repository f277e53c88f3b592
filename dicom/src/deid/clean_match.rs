//! The descriptor cleaner's matching of identities rather than spellings, beside the exact
//! needles of [`super::clean::Scrubber`]:
//! - names by word: each word of the text, normalized (full-width forms to ASCII as NFKC does,
//!   diacritics folded, decomposed marks dropped, upper case) and also with the German
//!   transliterations undone (`UE` = `Ü` = `U`...), equals a name component of the header, or is a
//!   prefix of at least 5 letters of one (truncated names);
//! - identifiers by their digit runs: a run of digits and separators (`-`, `.`, `/`, space) whose
//!   digits contain the digits (5 or more) of a patient id, accession number or other id;
//! - relatives: a pair of capitalised words (`Firstname Lastname`) within three words of a
//!   relationship word (mother, husband, Tochter...), or one capitalised word right after it
//!   (`Mother Anna called`, `Frau Weber`), whether the header names them or not;
//! - initials of a header name (`J.D.`, `JD`, `D.J.`) next to a date of the header (`J.D.
//!   05.04.1971`, `1971-04-05 (JD)`): either alone identifies little, together they do
//!   (matched in [`super::clean::Scrubber::clean`], which knows the dates);
//! - telephone numbers (7 or more digits with `+`, `(`, `)`, `-`, `/`, space between them) and
//!   e-mail addresses, whoever they belong to.

use super::pseudonym::fold;

/// The identities of one header, normalized for matching.
#[derive(Debug, Default, Clone)]
pub(crate) struct Identities {
    /// Name components, normalized, each with its de-transliterated form; sorted, deduplicated.
    names: Vec<String>,
    /// The digit runs (5 or more digits) of identifying values.
    ids: Vec<String>,
    /// Initials of each person name (given + family, family + given, given + middle + family),
    /// upper case.
    initials: Vec<String>,
}

impl Identities {
    /// Gather the components of a person name value.
    pub(super) fn add_name(&mut self, pn: &str) {
        // Initials: given + family, family + given, every given name + family, given + middle
        // + family (`Müller^Hans Peter^B`: HM, MH, HPM, HBM).
        let initial = |w: &str| normalize(w).chars().find(char::is_ascii_alphabetic);
        if let Some(group) = pn.split('=').next() {
            let mut comps = group.split('^');
            let family = comps.next().and_then(initial);
            let given: Vec<char> = comps
                .next()
                .unwrap_or("")
                .split(|c: char| c.is_whitespace() || c == '-')
                .filter_map(initial)
                .collect();
            let middle = comps.next().and_then(initial);
            if let (Some(f), Some(&g)) = (family, given.first()) {
                self.initials.push(format!("{g}{f}"));
                self.initials.push(format!("{f}{g}"));
                if given.len() > 1 {
                    let all: String = given.iter().collect();
                    self.initials.push(format!("{all}{f}"));
                }
                if let Some(m) = middle {
                    self.initials.push(format!("{g}{m}{f}"));
                }
            }
        }
        for group in pn.split('=') {
            for comp in group.split('^').take(3) {
                for w in comp.split(|c: char| c.is_whitespace() || c == '-' || c == ',') {
                    let n = normalize(w);
                    if n.chars().count() >= 2 {
                        let d = detransliterate(&n);
                        self.names.push(n);
                        self.names.push(d);
                    }
                }
            }
        }
    }

    /// Gather the digit runs of an identifying value (ids, accession numbers, phone numbers).
    pub(super) fn add_id(&mut self, v: &str) {
        let digits: String = v.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 5 {
            self.ids.push(digits);
        }
        for run in v.split(|c: char| !c.is_ascii_digit()) {
            if run.len() >= 5 {
                self.ids.push(run.to_string());
            }
        }
    }

    /// Sort and deduplicate once gathered.
    pub(super) fn finish(&mut self) {
        self.names.sort_unstable();
        self.names.dedup();
        self.ids.sort_unstable();
        self.ids.dedup();
        self.initials.sort_unstable();
        self.initials.dedup();
    }

    /// The spans of `text` that spell initials of a header name (`J.D.`, `JD`, `j. d.`): only
    /// those next to a date are removed ([`next_to`]).
    pub(super) fn initials_spans(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if self.initials.is_empty() {
            return out;
        }
        let b = text.as_bytes();
        let alpha = |k: usize| b.get(k).is_some_and(u8::is_ascii_alphabetic);
        let alnum = |k: usize| b.get(k).is_some_and(u8::is_ascii_alphanumeric);
        let mut i = 0;
        while i < b.len() {
            if !alpha(i) || (i > 0 && alnum(i - 1)) {
                i += 1;
                continue;
            }
            let mut letters = String::new();
            let mut end = i;
            if alpha(i + 1) {
                // `JD`: a word of 2-3 capitals.
                let run = b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                if b[i..i + run].iter().all(u8::is_ascii_uppercase) && !alnum(i + run) {
                    letters = text[i..i + run].to_string();
                }
                end = i + run;
            } else {
                // `J.D.`, `j. d.`: single letters each followed by a dot.
                let mut k = i;
                while alpha(k) && !alpha(k + 1) && b.get(k + 1) == Some(&b'.') {
                    letters.push(char::from(b[k].to_ascii_uppercase()));
                    end = k + 2;
                    k = end;
                    while b.get(k) == Some(&b' ') {
                        k += 1;
                    }
                }
                if letters.is_empty() {
                    end = i + 1;
                }
            }
            if (2..=3).contains(&letters.len()) && self.initials.binary_search(&letters).is_ok() {
                out.push((i, end));
            }
            i = end.max(i + 1);
        }
        out
    }

    /// The byte spans of `text` that identify someone.
    pub(super) fn spans(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        if !self.names.is_empty() {
            // One buffer for every word: cleaning runs on every kept text of every instance.
            let mut n = String::new();
            for (s, e) in words(text) {
                normalize_into(&text[s..e], &mut n);
                if n.is_empty() {
                    continue;
                }
                let hit = self.is_name(&n)
                    || (["UE", "OE", "AE"].iter().any(|t| n.contains(t))
                        && self.is_name(&detransliterate(&n)));
                if hit {
                    out.push((s, e));
                }
            }
        }
        relatives(text, out);
        digit_runs(text, |s, e, digits, seps_ok_for_phone, phone_start| {
            let id = self
                .ids
                .iter()
                .any(|i| digits.len() >= i.len() && digits.contains(i.as_str()));
            let phone = digits.len() >= 7 && seps_ok_for_phone && phone_start;
            if id || phone {
                out.push((s, e));
            }
        });
        emails(text, out);
    }

    fn is_name(&self, w: &str) -> bool {
        match self.names.binary_search_by(|n| n.as_str().cmp(w)) {
            Ok(_) => true,
            // Sorted: a name that `w` is a prefix of comes right after where `w` would go.
            Err(i) => w.chars().count() >= 5 && self.names.get(i).is_some_and(|n| n.starts_with(w)),
        }
    }
}

/// Whether span `a` stands right next to span `b` in `text`: only separators (spaces, `,;:()*/-`)
/// and at most one birth word (`born`, `b.`, `geb.`, `née`, `DOB`) between them.
pub(super) fn next_to(text: &str, a: (usize, usize), b: (usize, usize)) -> bool {
    let (first, second) = if a.1 <= b.0 {
        (a, b)
    } else if b.1 <= a.0 {
        (b, a)
    } else {
        return true;
    };
    let Some(between) = text.get(first.1..second.0) else {
        return false;
    };
    if between.len() > 16 {
        return false;
    }
    let mut words = 0;
    for w in between.split(|c: char| c.is_whitespace() || ",;:()*/-.".contains(c)) {
        if w.is_empty() {
            continue;
        }
        words += 1;
        let w = normalize(w);
        if words > 1 || !["B", "BORN", "DOB", "GEB", "GEBOREN", "NE", "NEE"].contains(&w.as_str()) {
            return false;
        }
    }
    true
}

/// Sort spans and merge the overlapping ones into their union.
pub(super) fn merge(spans: &mut Vec<(usize, usize)>) {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for &(s, e) in spans.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    *spans = out;
}

/// Full-width to ASCII, diacritics folded, combining marks dropped, letters and digits only,
/// upper case.
pub(crate) fn normalize(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    normalize_into(w, &mut out);
    out
}

/// [`normalize`] into `out` (cleared first).
fn normalize_into(w: &str, out: &mut String) {
    out.clear();
    for c in w.chars() {
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if let Some(f) = fold(c) {
            out.push_str(f);
        } else if c.is_alphanumeric() {
            out.extend(c.to_uppercase());
        }
    }
}

/// `MUELLER` -> `MULLER`, `SCHOEN` -> `SCHON`, `BAER` -> `BAR`: the German transliterations of
/// the umlauts undone, so that both spellings meet the folded form of `Müller`.
fn detransliterate(n: &str) -> String {
    n.replace("UE", "U").replace("OE", "O").replace("AE", "A")
}

/// The spans of the words of `text`: letters, digits and combining marks.
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let part = c.is_alphanumeric() || is_mark(c);
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF)
}

/// Every maximal run of ASCII digits joined by single separators: `f(start, end, digits,
/// separators are phone-like (no dot), starts like a phone number)`.
fn digit_runs(text: &str, mut f: impl FnMut(usize, usize, &str, bool, bool)) {
    let b = text.as_bytes();
    let mut i = 0;
    let mut digits = String::new();
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut start = i;
        // A leading `+` or `(` belongs to a phone number.
        let plus = start > 0 && matches!(b[start - 1], b'+' | b'(');
        if plus {
            start -= 1;
        }
        digits.clear();
        let mut dots = false;
        let mut end = i;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                digits.push(char::from(b[i]));
                i += 1;
                end = i;
            } else {
                // At most two separators between two digits (`) `, ` (`, ` - `...).
                let is_sep = |c: u8| matches!(c, b'-' | b'.' | b'/' | b' ' | b'(' | b')');
                let mut j = i;
                while j < b.len() && j - i < 3 && is_sep(b[j]) {
                    j += 1;
                }
                if j > i && j - i <= 3 && b.get(j).is_some_and(u8::is_ascii_digit) {
                    dots |= b[i..j].contains(&b'.');
                    i = j;
                } else {
                    break;
                }
            }
        }
        let phone_start = plus || digits.starts_with('0');
        f(start, end, &digits, !dots, phone_start);
        i = end.max(i);
    }
}

/// Relationship words, lower case (English, German, French).
const RELATIONS: &[&str] = &[
    "aunt",
    "brother",
    "daughter",
    "ehefrau",
    "ehemann",
    "father",
    "frau",
    "guardian",
    "husband",
    "mann",
    "mother",
    "mutter",
    "mère",
    "nephew",
    "niece",
    "parent",
    "partner",
    "père",
    "schwester",
    "sister",
    "sohn",
    "son",
    "spouse",
    "tochter",
    "uncle",
    "vater",
    "wife",
];

/// Capitalised word pairs (`Anna Berg`) within three words of a relationship word, and a
/// capitalised word right after one (`Mother Anna called`).
fn relatives(text: &str, out: &mut Vec<(usize, usize)>) {
    let ws = words(text);
    let capital = |&(s, e): &(usize, usize)| {
        let w = &text[s..e];
        let mut cs = w.chars();
        cs.next().is_some_and(char::is_uppercase)
            && w.chars().count() >= 2
            && cs.all(|c| c.is_lowercase() || is_mark(c))
    };
    let relation = |&(s, e): &(usize, usize)| {
        let w = text[s..e].to_lowercase();
        RELATIONS.binary_search(&w.as_str()).is_ok()
    };
    for (i, r) in ws.iter().enumerate() {
        if !relation(r) {
            continue;
        }
        // A given name alone right after the word (`Mother Anna called`, `Frau Weber`).
        if let Some(next) = ws.get(i + 1) {
            if capital(next) && !relation(next) {
                out.push(*next);
            }
        }
        let lo = i.saturating_sub(4);
        let hi = (i + 5).min(ws.len());
        for j in lo..hi.saturating_sub(1) {
            if j != i && j + 1 != i && capital(&ws[j]) && capital(&ws[j + 1]) {
                out.push((ws[j].0, ws[j + 1].1));
            }
        }
    }
}

/// `local@domain.tld` spans.
fn emails(text: &str, out: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let part = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+' | b'%');
    for (at, _) in text.match_indices('@') {
        let mut s = at;
        while s > 0 && part(b[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < b.len() && part(b[e]) {
            e += 1;
        }
        if s < at && text[at + 1..e].contains('.') {
            out.push((s, e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Identities {
        let mut i = Identities::default();
        i.add_name("Müller^Jürgen");
        i.add_name("Schmidt^Lukas");
        i.add_id("MRN1744974");
        i.add_id("A20233326");
        i.finish();
        i
    }

    fn hits(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        ids().spans(text, &mut out);
        merge(&mut out);
        out.iter().map(|&(s, e)| text[s..e].to_string()).collect()
    }

    #[test]
    fn names_match_by_identity_not_spelling() {
        assert_eq!(hits("seen by MUELLER"), ["MUELLER"]);
        assert_eq!(hits("Jurgen"), ["Jurgen"]);
        assert_eq!(hits("Ｓｃｈｍｉｄｔ"), ["Ｓｃｈｍｉｄｔ"]); // full width (NFKC)
        assert_eq!(hits("Mu\u{0308}ller"), ["Mu\u{0308}ller"]); // decomposed (NFD)
        assert_eq!(hits("pat. Schmid, t1"), ["Schmid"]); // truncated, 5+ letters
        assert!(hits("Schm t1_mprage LUK").is_empty()); // too short to be a prefix
        assert!(hits("t1_mprage_sag").is_empty());
    }

    #[test]
    fn relatives_near_relationship_words() {
        assert!(RELATIONS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(hits("allergic; mother Anna Berg reports"), ["Anna Berg"]);
        assert_eq!(hits("Ehefrau Maria Lopez anwesend"), ["Maria Lopez"]);
        assert!(hits("Contrast Agent Gadovist, no allergy").is_empty());
        // A given name alone, right after the relationship word.
        assert_eq!(hits("Mother Anna called again"), ["Anna"]);
        assert_eq!(hits("Wife Keiko called"), ["Keiko"]);
        assert_eq!(hits("Frau Weber kommt"), ["Weber"]);
        assert!(hits("mother reports Headache").is_empty());
    }

    #[test]
    fn initials_are_found_in_their_usual_spellings() {
        let i = ids();
        let found = |t: &str| -> Vec<String> {
            i.initials_spans(t)
                .iter()
                .map(|&(s, e)| t[s..e].trim().to_string())
                .collect()
        };
        assert_eq!(found("pt J.M. 05.04.1971"), ["J.M."]);
        assert_eq!(found("JM, *1971"), ["JM"]);
        assert_eq!(found("m. j. seen"), ["m. j."]);
        assert_eq!(found("l.s."), ["l.s."]);
        // Words and other letters are not initials.
        assert!(found("Jm at 3T").is_empty());
        assert!(found("JMX T1").is_empty());
        assert!(found("AB 05.04.1971").is_empty());
        assert!(next_to("J.M. 05.04.1971", (0, 4), (5, 15)));
        assert!(next_to("J.M., geb. 05.04.1971", (0, 4), (11, 21)));
        assert!(next_to("05.04.1971 (JM)", (12, 14), (0, 10)));
        assert!(!next_to("J.M. scanned 05.04.1971", (0, 4), (13, 23)));
    }

    #[test]
    fn ids_by_digit_runs_phones_and_emails() {
        assert_eq!(hits("MRN 174-4974"), ["174-4974"]);
        assert_eq!(hits("id1744974x"), ["1744974"]);
        assert_eq!(hits("acc 2023 3326"), ["2023 3326"]);
        assert_eq!(hits("call +49 (30) 1234567"), ["+49 (30) 1234567"]);
        assert_eq!(hits("tel 030/1234567"), ["030/1234567"]);
        assert_eq!(
            hits("mail j.mueller@klinik-west.de ok"),
            ["j.mueller@klinik-west.de"]
        );
        // Measurements are not phone numbers.
        assert!(hits("TR 2300 TE 30 res 1.0 1.0 1.2").is_empty());
        assert!(hits("b1000 64 dirs").is_empty());
    }
}
