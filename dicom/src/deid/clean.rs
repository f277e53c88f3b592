//! Clean Descriptors: keep a description only after removing every identifying value the same
//! header holds.
//!
//! [`Scrubber::collect`] reads the header BEFORE anything is modified and gathers the values that
//! identify someone: every person name component (patient, physicians, operators, at any depth),
//! patient and other ids, accession number, study id, institution name, address and department,
//! station name, device serial, telephone numbers, and every date in the header in the usual
//! spellings. [`Scrubber::clean`] removes each occurrence from a text, ignoring case and
//! diacritics, at word boundaries, and keeps the rest.
//!
//! Narrative free text cannot be cleaned this way (it names people and events the header does not
//! list), so [`FREE_TEXT`] attributes are removed instead.

use dicom_core::{Tag, VR};
use dicom_object::InMemDicomObject;

use super::clean_match::{merge, Identities};
use super::pseudonym::fold;

/// Attributes of narrative free text: removed even with Clean Descriptors.
pub(super) const FREE_TEXT: &[(u32, &str)] = &[
    (0x0008_1080, "AdmittingDiagnosesDescription"),
    (0x0008_4000, "IdentifyingComments"),
    (0x0010_2000, "MedicalAlerts"),
    (0x0010_21B0, "AdditionalPatientHistory"),
    (0x0010_4000, "PatientComments"),
    (0x0032_1030, "ReasonForStudy"),
    (0x0032_1066, "ReasonForVisit"),
    (0x0032_4000, "StudyComments"),
    (0x0038_0040, "DischargeDiagnosisDescription"),
    (0x0038_0062, "ServiceEpisodeDescription"),
    (0x0038_4000, "VisitComments"),
    (0x0040_0280, "CommentsOnThePerformedProcedureStep"),
    (0x0040_1002, "ReasonForTheRequestedProcedure"),
    (0x0040_1400, "RequestedProcedureComments"),
    (0x0040_2400, "ImagingServiceRequestComments"),
];

/// Attributes whose values identify a patient, a place or a device (person names are found by VR).
const IDENTIFYING: &[u32] = &[
    0x0008_0050, // AccessionNumber
    0x0008_0080, // InstitutionName
    0x0008_0081, // InstitutionAddress
    0x0008_0092, // ReferringPhysicianAddress
    0x0008_0094, // ReferringPhysicianTelephoneNumbers
    0x0008_1010, // StationName
    0x0008_1040, // InstitutionalDepartmentName
    0x0010_0020, // PatientID
    0x0010_0021, // IssuerOfPatientID
    0x0010_1000, // OtherPatientIDs
    0x0010_1040, // PatientAddress
    0x0010_1090, // MedicalRecordLocator
    0x0010_2152, // RegionOfResidence
    0x0010_2154, // PatientTelephoneNumbers
    0x0010_2155, // PatientTelecomInformation
    0x0012_0040, // ClinicalTrialSubjectID
    0x0012_0042, // ClinicalTrialSubjectReadingID
    0x0018_1000, // DeviceSerialNumber
    0x0020_0010, // StudyID
    0x0032_1033, // RequestingService
    0x0038_0010, // AdmissionID
    0x0040_0009, // ScheduledProcedureStepID
    0x0040_0010, // ScheduledStationName
    0x0040_0242, // PerformedStationName
    0x0040_0243, // PerformedLocation
    0x0040_0253, // PerformedProcedureStepID
    0x0040_1001, // RequestedProcedureID
    0x0040_1102, // PersonAddress
    0x0040_1103, // PersonTelephoneNumbers
    0x0040_2016, // PlacerOrderNumberImagingServiceRequest
    0x0040_2017, // FillerOrderNumberImagingServiceRequest
];

/// Of those, the ones made of words that identify on their own (a street, a town, "Riverside").
const WORDY: &[u32] = &[
    0x0008_0080,
    0x0008_0081,
    0x0008_0092,
    0x0008_1040,
    0x0010_1040,
    0x0010_2152,
    0x0032_1033,
    0x0040_0243,
    0x0040_1102,
];

/// Sequences nested deeper than this are refused rather than walked.
pub(crate) const MAX_DEPTH: u32 = 32;

/// The identifying values of one header, ready to be removed from its descriptions.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scrubber {
    /// Longest first, so that a full name goes before its parts.
    needles: Vec<String>,
    /// For each needle, whether it is a whole value (or `^` component) rather than a single word
    /// split out of one: binary headers are scrubbed of whole values only, since a common word
    /// ("name", "patient") there is more likely a field of the header than a leak.
    whole: Vec<bool>,
    /// The distinct dates of the header: in text, every written form of them is found by
    /// [`super::date_text`] (one scan of the text, each expression read every way it can be).
    dates: Vec<chrono::NaiveDate>,
    /// Their usual spellings, for binary values (where text is not tokenized).
    date_forms: Vec<String>,
    /// Names and ids normalized, matched by identity rather than spelling.
    idents: Identities,
    /// The ASCII needles by their first byte in lower case (256 lists once gathered).
    ascii_first: Vec<Vec<u32>>,
}

impl Scrubber {
    /// Gather the identifying values of `obj`, nested sequences included.
    pub(super) fn collect(obj: &InMemDicomObject) -> Scrubber {
        let mut s = Scrubber::default();
        // Values as they were meant (ISO 2022 decoded), as the walk cleans them.
        let cs = super::charset::Charset::of(obj);
        s.collect_in(obj, &cs, 0);
        for d in s.dates.clone() {
            s.add_date_forms(d);
        }
        let mut all: Vec<(String, bool)> = std::mem::take(&mut s.needles)
            .into_iter()
            .zip(std::mem::take(&mut s.whole))
            .collect();
        let folded: Vec<(String, bool)> = all
            .iter()
            .filter(|(n, _)| !n.is_ascii())
            .map(|(n, whole)| {
                let mut f = String::with_capacity(n.len());
                for c in n.chars() {
                    match fold(c) {
                        Some(base) => f.push_str(base),
                        None => f.push(c),
                    }
                }
                (f, *whole)
            })
            .collect();
        all.extend(folded);
        all.sort_unstable_by(|a, b| {
            b.0.len().cmp(&a.0.len()).then_with(|| {
                a.0.bytes()
                    .map(|b| b.to_ascii_lowercase())
                    .cmp(b.0.bytes().map(|b| b.to_ascii_lowercase()))
            })
        });
        // Duplicates are adjacent now; a value whole anywhere is whole.
        all.dedup_by(|later, kept| {
            let same = later.0.eq_ignore_ascii_case(&kept.0);
            if same {
                kept.1 |= later.1;
            }
            same
        });
        (s.needles, s.whole) = all.into_iter().unzip();
        s.ascii_first = vec![Vec::new(); 256];
        for (k, n) in s.needles.iter().enumerate() {
            if let Some(&c) = n.as_bytes().first().filter(|_| n.is_ascii()) {
                s.ascii_first[usize::from(c.to_ascii_lowercase())].push(k as u32);
            }
        }
        s.idents.finish();
        s
    }

    /// How many values were gathered, in all their spellings.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.needles.len()
    }

    /// The values gathered (for tests and diagnostics).
    #[cfg(test)]
    pub(super) fn needles(&self) -> &[String] {
        &self.needles
    }

    fn collect_in(&mut self, obj: &InMemDicomObject, cs: &super::charset::Charset, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        for e in obj.iter() {
            let tag = e.header().tag;
            let vr = e.header().vr;
            if vr == VR::SQ {
                if let Some(items) = e.items() {
                    for item in items {
                        self.collect_in(item, cs, depth + 1);
                    }
                }
                continue;
            }
            // Private values are removed or safe-listed, never cleaned: only public ones matter.
            if tag.group() % 2 == 1 {
                continue;
            }
            // Only text is read: converting pixel data or other binary values to strings would
            // cost more than all the rest of de-identification.
            if !matches!(vr, VR::PN | VR::DA | VR::DT) && !is_identifying(tag) {
                continue;
            }
            let values = super::charset::text_values(e);
            let mut map = super::charset::CharMap::default();
            let values: Vec<String> = values.iter().map(|v| cs.decode(v, &mut map).0).collect();
            match vr {
                VR::PN => {
                    for v in values.iter() {
                        self.add_name(v);
                    }
                }
                VR::DA => {
                    for v in values.iter() {
                        self.add_date(v);
                    }
                }
                VR::DT => {
                    for v in values.iter() {
                        if let Some(d) = v.get(..8) {
                            self.add_date(d);
                        }
                    }
                }
                _ if is_identifying(tag) => {
                    let wordy = WORDY.contains(&tag_u32(tag));
                    for v in values.iter() {
                        self.add_value(v, wordy);
                    }
                }
                _ => {}
            }
        }
    }

    /// Gather `s` if it has `min_len` letters or digits; `whole` when it is a value as the header
    /// holds it (or one of its `^` components), not a word split out of one.
    fn push(&mut self, s: &str, min_len: usize, whole: bool) {
        let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0' || c == ',' || c == '.');
        // A Chinese or Korean family name is often one character (`王`, `洪`, `김`).
        let cjk = !s.is_empty() && s.chars().all(super::binary::is_cjk);
        let min_len = if cjk { 1 } else { min_len };
        if s.chars().filter(|c| c.is_alphanumeric()).count() >= min_len {
            self.needles.push(s.to_string());
            self.whole.push(whole);
        }
    }

    fn add_name(&mut self, pn: &str) {
        self.idents.add_name(pn);
        for group in pn.split('=') {
            // Family, given and middle names; prefixes and suffixes ("Dr.", "Jr.") identify no one.
            for comp in group.split('^').take(3) {
                self.push(comp, 2, true);
                if comp.trim().contains(char::is_whitespace) {
                    for w in comp.split_whitespace() {
                        self.push(w, 2, false);
                    }
                }
            }
        }
    }

    fn add_value(&mut self, v: &str, wordy: bool) {
        self.idents.add_id(v);
        self.push(v, 3, true);
        for part in v.split('^') {
            self.push(part, 3, true);
            if wordy {
                for w in part.split(|c: char| c.is_whitespace() || c == ',') {
                    self.push(w, 4, false);
                }
            }
        }
    }

    fn add_date(&mut self, v: &str) {
        if let Some(d) = super::dates::parse_da(v) {
            if !self.dates.contains(&d) {
                self.dates.push(d);
            }
        }
    }

    /// The spellings of a header date that binary values are scrubbed of.
    fn add_date_forms(&mut self, d: chrono::NaiveDate) {
        use chrono::Datelike;
        let (y, m, dd) = (d.year(), d.month(), d.day());
        self.date_forms.extend([
            format!("{y:04}{m:02}{dd:02}"),
            format!("{y:04}-{m:02}-{dd:02}"),
            format!("{y:04}.{m:02}.{dd:02}"),
            format!("{dd:02}.{m:02}.{y:04}"),
            format!("{dd:02}/{m:02}/{y:04}"),
            format!("{m:02}/{dd:02}/{y:04}"),
        ]);
    }

    /// The spans of the date expressions of `text` that are a date of the header.
    fn date_spans(&self, text: &str) -> Vec<(usize, usize)> {
        use chrono::Datelike;
        if self.dates.is_empty() {
            return Vec::new();
        }
        super::date_text::date_expressions(text)
            .into_iter()
            .filter(|e| {
                e.readings.iter().any(|r| {
                    self.dates
                        .iter()
                        .any(|d| r.is(d.year(), d.month(), d.day()))
                })
            })
            .map(|e| (e.start, e.end))
            .collect()
    }

    /// `text` without any of the gathered values; `None` when nothing changed.
    pub(super) fn clean(&self, text: &str) -> Option<String> {
        self.cut(text, " ").map(|out| tidy(&out))
    }

    /// `text` without any of the gathered values, everything else as it was (no space put in
    /// their place, no whitespace collapsed: machine-written text keeps its layout); `None` when
    /// nothing changed.
    pub(super) fn clean_in_place(&self, text: &str) -> Option<String> {
        self.cut(text, "")
    }

    /// `text` with each span of gathered values replaced by `filler`; `None` when there is none.
    fn cut(&self, text: &str, filler: &str) -> Option<String> {
        let spans = self.spans(text);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e) in spans {
            out.push_str(&text[at..s]);
            out.push_str(filler);
            at = e;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// The byte spans of `text` that hold gathered values, merged, in order.
    fn ascii_spans(&self, b: &[u8], spans: &mut Vec<(usize, usize)>) {
        for i in 0..b.len() {
            if i > 0 && b[i - 1].is_ascii_alphanumeric() {
                continue;
            }
            for &k in &self.ascii_first[usize::from(b[i].to_ascii_lowercase())] {
                let n = self.needles[k as usize].as_bytes();
                let end = i + n.len();
                if end <= b.len()
                    && b[i..end].eq_ignore_ascii_case(n)
                    && b.get(end).is_none_or(|c| !c.is_ascii_alphanumeric())
                {
                    spans.push((i, end));
                }
            }
        }
    }

    fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        // ASCII text (protocols, most descriptions): ASCII needles found in one pass, by their
        // first byte, with the same rule as `find_word_ci` (either case, word boundaries).
        let ascii = text.is_ascii() && self.ascii_first.len() == 256;
        if ascii {
            self.ascii_spans(text.as_bytes(), &mut spans);
        }
        for n in &self.needles {
            if ascii && n.is_ascii() {
                continue;
            }
            let mut from = 0;
            while let Some((s, e)) = find_word_ci(text, n, from) {
                spans.push((s, e));
                from = s + text[s..].chars().next().map_or(1, char::len_utf8);
            }
        }
        // UIDs inside text (`1.2.826.0.1...`): whatever they identify, a remapped object must not
        // carry its original UIDs in a description.
        spans.extend(uid_runs(text));
        self.idents.spans(text, &mut spans);
        // Dates of the header in any written form, and initials of a header name next to one
        // (`J.D. 05.04.1971`).
        let dates = self.date_spans(text);
        spans.extend(&dates);
        if !dates.is_empty() {
            for i in self.idents.initials_spans(text) {
                if dates
                    .iter()
                    .any(|&d| super::clean_match::next_to(text, i, d))
                {
                    spans.push(i);
                }
            }
        }
        merge(&mut spans);
        spans
    }
}

impl Scrubber {
    /// Overwrite identifying bytes of a binary value in place, keeping its length, so that a
    /// safe-listed binary private value keeps its structure: UID-like runs (digits and at least
    /// three dots; Siemens UIDs embed the scanner serial and the acquisition date and time) get
    /// their digits zeroed, and every whole value gathered (not the words split out of one) of 4
    /// or more characters is overwritten with `X`, found as ASCII, Latin-1, UTF-8 or UTF-16 (see
    /// [`super::binary`]). Returns whether anything changed.
    pub(super) fn scrub_bytes(&self, bytes: &mut [u8]) -> bool {
        let changed = zero_uid_runs(bytes);
        let whole = self
            .needles
            .iter()
            .zip(&self.whole)
            .filter(|(_, w)| **w)
            .map(|(n, _)| n.as_str())
            .chain(self.date_forms.iter().map(String::as_str));
        super::binary::scrub(whole, bytes) | changed
    }
}

/// The byte spans of the runs of digits and dots that look like a UID (at least three dots and
/// ten characters, as [`zero_uid_runs`] finds them), trailing dots excluded.
fn uid_runs(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut dots = 0;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            dots += usize::from(b[i] == b'.');
            i += 1;
        }
        let mut end = i;
        while end > start && b[end - 1] == b'.' {
            end -= 1;
            dots -= 1;
        }
        if dots >= 3 && end - start >= 10 {
            out.push((start, end));
        }
    }
    out
}

/// Zero the digits of every run of digits and dots that looks like a UID.
fn zero_uid_runs(bytes: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut dots = 0;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            dots += usize::from(bytes[i] == b'.');
            i += 1;
        }
        if dots >= 3 && i - start >= 10 {
            for b in &mut bytes[start..i] {
                if b.is_ascii_digit() && *b != b'0' {
                    *b = b'0';
                    changed = true;
                }
            }
        }
    }
    changed
}

fn tag_u32(t: Tag) -> u32 {
    (u32::from(t.group()) << 16) | u32::from(t.element())
}

fn is_identifying(t: Tag) -> bool {
    IDENTIFYING.binary_search(&tag_u32(t)).is_ok()
}

/// Whitespace runs collapsed, separators left dangling at either end dropped.
fn tidy(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .trim_matches(|c: char| c.is_whitespace() || "^_-,;:/|()[]".contains(c))
        .to_string()
}

/// Case- and diacritic-insensitive equality of two characters.
fn same_char(a: char, b: char) -> bool {
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(&b);
    }
    let fa = fold(a)
        .map(|s| s.to_string())
        .unwrap_or_else(|| a.to_uppercase().collect());
    let fb = fold(b)
        .map(|s| s.to_string())
        .unwrap_or_else(|| b.to_uppercase().collect());
    fa == fb
}

/// The first occurrence of `needle` in `hay` at or after byte `from`, not glued to a letter or
/// digit on either side.
fn find_word_ci(hay: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let first = needle.chars().next()?;
    // Japanese, Chinese and Korean text has no spaces between words: no boundary there, but
    // for a name of one character, which must stand alone.
    let long = needle.chars().nth(1).is_some();
    let cjk_start = long && super::binary::is_cjk(first);
    let cjk_end = long
        && needle
            .chars()
            .next_back()
            .is_some_and(super::binary::is_cjk);
    let mut prev_alnum = !cjk_start
        && hay[..from]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
    for (i, c) in hay[from..].char_indices() {
        let start = from + i;
        if !prev_alnum && same_char(c, first) {
            let mut h = hay[start..].char_indices();
            let mut end = None;
            let mut ok = true;
            for nc in needle.chars() {
                match h.next() {
                    Some((_, hc)) if same_char(hc, nc) => {}
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                let rest = h.next();
                end = Some(rest.map_or(hay.len(), |(j, _)| start + j));
                if !cjk_end && rest.is_some_and(|(_, rc)| rc.is_alphanumeric()) {
                    end = None;
                }
            }
            if let Some(end) = end {
                return Some((start, end));
            }
        }
        prev_alnum = !cjk_start && c.is_alphanumeric();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue};
    use dicom_dictionary_std::tags;

    fn header() -> InMemDicomObject {
        InMemDicomObject::from_element_iter([
            DataElement::new(tags::PATIENT_NAME, VR::PN, "Müller^Hans Peter^B"),
            DataElement::new(tags::PATIENT_ID, VR::LO, "MRN1744974"),
            DataElement::new(tags::PATIENT_BIRTH_DATE, VR::DA, "19641115"),
            DataElement::new(tags::ACCESSION_NUMBER, VR::SH, "A20233326"),
            DataElement::new(
                tags::INSTITUTION_NAME,
                VR::LO,
                "Riverside University Hospital",
            ),
            DataElement::new(tags::REFERRING_PHYSICIAN_NAME, VR::PN, "Reyes^Carmen^^Dr."),
            DataElement::new(tags::STATION_NAME, VR::SH, "MRC20017"),
            DataElement::new(tags::STUDY_DATE, VR::DA, "20201107"),
            DataElement::new(tags::SERIES_DESCRIPTION, VR::LO, "t1_mprage_sag_1mm"),
            DataElement::new(
                tags::OTHER_PATIENT_I_DS_SEQUENCE,
                VR::SQ,
                dicom_core::value::DataSetSequence::from(vec![
                    InMemDicomObject::from_element_iter([DataElement::new(
                        tags::PATIENT_ID,
                        VR::LO,
                        PrimitiveValue::from("OLD-4242"),
                    )]),
                ]),
            ),
        ])
    }

    #[test]
    fn collects_names_ids_places_and_dates_at_any_depth() {
        let s = Scrubber::collect(&header());
        let has = |x: &str| s.needles().iter().any(|n| n.eq_ignore_ascii_case(x));
        for x in [
            "Müller",
            "Muller",
            "Hans Peter",
            "Hans",
            "Peter",
            "MRN1744974",
            "A20233326",
            "Riverside University Hospital",
            "Riverside",
            "Reyes",
            "Carmen",
            "MRC20017",
            "OLD-4242",
        ] {
            assert!(has(x), "{x} missing from {:?}", s.needles());
        }
        // The header's dates, at any depth, in whatever form a text writes them.
        assert_eq!(
            s.clean("born 15.11.1964 (19641115), seen Nov 7th, 2020 and 7 Nov 2021")
                .as_deref(),
            Some("born ( ), seen and 7 Nov 2021")
        );
        // A middle initial alone identifies no one and would eat letters out of descriptions;
        // prefixes and suffixes identify no one either.
        assert!(!has("B"));
        assert!(!has("Dr"));
        // Nor is a technical description an identifier.
        assert!(!has("t1_mprage_sag_1mm"));
    }

    #[test]
    fn uids_inside_text_are_removed() {
        let s = Scrubber::collect(&InMemDicomObject::new_empty());
        assert_eq!(
            s.clean("see 1.2.826.0.1.3680043.8.498.12. for the prior")
                .as_deref(),
            Some("see . for the prior")
        );
        assert_eq!(s.clean("TE 2.98 ms, v1.2.3"), None);
    }

    #[test]
    fn removes_identifiers_and_keeps_the_rest() {
        let s = Scrubber::collect(&header());
        let c = |t: &str| s.clean(t);
        assert_eq!(c("t1_mprage_sag_1mm"), None);
        assert_eq!(
            c("T1 MPRAGE for müller hans, MRN1744974").as_deref(),
            Some("T1 MPRAGE for")
        );
        assert_eq!(
            c("follow-up 2020-11-07 at Riverside University Hospital").as_deref(),
            Some("follow-up at")
        );
        assert_eq!(c("Dr. REYES protocol").as_deref(), Some("Dr. protocol"));
        assert_eq!(c("Muller_t2_tse").as_deref(), Some("t2_tse"));
        assert_eq!(c("born 15.11.1964").as_deref(), Some("born"));
        // Initials next to a date of the header go with it; elsewhere they are letters.
        assert_eq!(c("H.P.M. 15.11.1964 referred").as_deref(), Some("referred"));
        assert_eq!(c("MH, geb. 15.11.64").as_deref(), Some("geb."));
        assert_eq!(c("HM 2020-11-07").as_deref(), Some(""));
        assert_eq!(c("HM sequence"), None);
        // Word boundaries: a name inside another word stays.
        assert_eq!(c("Hansen coil"), None);
        // ... but an id is its digits, whatever surrounds them.
        assert_eq!(c("A20233326X").as_deref(), Some("A X"));
        assert_eq!(c("acc. 2023-3326").as_deref(), Some("acc."));
        // Other spellings of the same identities.
        assert_eq!(c("MUELLER t1").as_deref(), Some("t1"));
        assert_eq!(c("Mu\u{0308}ller t1").as_deref(), Some("t1"));
        assert_eq!(
            c("seen 15NOV1964, 15.11.64, 11/15/1964").as_deref(),
            Some("seen")
        );
        assert_eq!(c("pt 1744-974 / 7.11.20").as_deref(), Some("pt"));
        assert_eq!(
            c("reach me at h.mueller@example.org or 0171 2345678").as_deref(),
            Some("reach me at or")
        );
        assert_eq!(c("OLD-4242 prior").as_deref(), Some("prior"));
    }

    #[test]
    fn free_text_list_is_sorted_and_in_the_table_with_clean_descriptors() {
        assert!(FREE_TEXT.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(IDENTIFYING.windows(2).all(|w| w[0] < w[1]));
        let t = super::super::table::Table::get().unwrap();
        for (tag, name) in FREE_TEXT {
            let row = t.lookup(*tag).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(
                row.clean_descriptors,
                Some(super::super::table::Action::C),
                "{name}"
            );
        }
    }

    #[test]
    fn binary_scrub_keeps_lengths_and_structure() {
        let s = Scrubber::collect(&header());
        let mut csa = b"SV10\x04\x03\x02\x01\x0cMRC20017\x00\x10tReferenceImage0 = \"\"1.3.12.2.1107.5.2.32.35119.2010011420070434\"\"\nX=1.5 v2.3.4 riverside\x00EchoMRC200170".to_vec();
        let len = csa.len();
        assert!(s.scrub_bytes(&mut csa));
        assert_eq!(csa.len(), len);
        let text = String::from_utf8_lossy(&csa);
        assert!(
            text.starts_with("SV10\u{4}\u{3}\u{2}\u{1}\u{c}XXXXXXXX\0"),
            "{text}"
        );
        assert!(
            text.contains("\"\"0.0.00.0.0000.0.0.00.00000.0000000000000000\"\""),
            "{text}"
        );
        // Short runs and words split out of a value are not touched; distinctive values go even
        // when glued to garbage.
        assert!(
            text.contains("X=1.5 v2.3.4 riverside\0EchoXXXXXXXX0"),
            "{text}"
        );
        let mut glued = b"xA20233326".to_vec();
        assert!(s.scrub_bytes(&mut glued));
        let mut short = b"xHans".to_vec();
        assert!(!s.scrub_bytes(&mut short));
        // A word of a name never eats a field name of the header.
        let mut names = InMemDicomObject::new_empty();
        names.put(DataElement::new(
            tags::PATIENT_NAME,
            VR::PN,
            "dft patient name",
        ));
        let s = Scrubber::collect(&names);
        let mut field = b"\0ImagePositionPatient\0 <Name> patient \0dft patient name\0".to_vec();
        assert!(s.scrub_bytes(&mut field));
        assert_eq!(
            &field[..],
            b"\0ImagePositionPatient\0 <Name> patient \0XXXXXXXXXXXXXXXX\0"
        );
        let mut clean = b"nothing here 1.5".to_vec();
        assert!(!s.scrub_bytes(&mut clean));
    }

    #[test]
    fn finder_handles_unicode_and_edges() {
        assert_eq!(find_word_ci("x ÄBC y", "äbc", 0), Some((2, 6)));
        assert_eq!(find_word_ci("abc", "abc", 0), Some((0, 3)));
        assert_eq!(find_word_ci("xabc", "abc", 0), None);
        assert_eq!(find_word_ci("abcx abc", "abc", 0), Some((5, 8)));
        assert_eq!(find_word_ci("ab", "abc", 0), None);
        assert_eq!(find_word_ci("", "abc", 0), None);
        assert_eq!(tidy("  ^ a   b _ "), "a b");
    }

    proptest::proptest! {
        /// The one-pass search of ASCII text finds exactly what the finder finds.
        #[test]
        fn ascii_pass_finds_what_the_finder_finds(t in "[a-zA-Z0-9 .,_^-]{0,40}") {
            let s = Scrubber::collect(&header());
            let text = format!("{t} muller {t}MRC20017 x{t}20201107 Riverside {t}");
            let mut fast = Vec::new();
            s.ascii_spans(text.as_bytes(), &mut fast);
            let mut slow = Vec::new();
            for n in s.needles().iter().filter(|n| n.is_ascii()) {
                let mut from = 0;
                while let Some((a, b)) = find_word_ci(&text, n, from) {
                    slow.push((a, b));
                    from = a + 1;
                }
            }
            fast.sort_unstable();
            slow.sort_unstable();
            proptest::prop_assert_eq!(fast, slow);
        }
    }
}
