//! The fake people and visits: patients with the identifying data a hospital writes into every
//! header (names, medical record numbers, birth dates, addresses, telephone numbers), and their
//! examinations (dates, accession numbers, physicians, operators).
//!
//! All of it is invented and drawn from the seed. The pools of physicians, operators, streets
//! and institutions are those of `make_series.py`, so that the PHI lists the tests scan for
//! (`testkit::planted_phi`) fit both corpora. Subject 1 always has a family name with an umlaut
//! (written in ISO_IR 100, as a German scanner would).

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

use crate::rng::Rng;

const FIRST_F: [&str; 8] = [
    "Maria", "Olivia", "Aisha", "Hannah", "Sofia", "Mei", "Ingrid", "Fatima",
];
const FIRST_M: [&str; 8] = [
    "James", "Lukas", "Omar", "Daniel", "Kenji", "Mateo", "Pieter", "Samuel",
];
const LAST: [&str; 15] = [
    "Fernandez",
    "Okafor",
    "Lindqvist",
    "Nakamura",
    "Brennan",
    "Kowalski",
    "Haddad",
    "Van der Berg",
    "O'Connor",
    "Schmidt",
    "Dubois",
    "Rossi",
    "Nguyen",
    "Patel",
    "Jansen",
];
/// Family names with an umlaut, for subject 1.
const LAST_UMLAUT: [&str; 4] = ["Müller", "Schröder", "Jäger", "Böhm"];
const PHYSICIANS: [&str; 6] = [
    "Hartmann^Clara^^Dr.",
    "Osei^Kwame^^Dr.",
    "Lefebvre^Anne^^Dr.",
    "Ito^Haruki^^Dr.",
    "Reyes^Carmen^^Dr.",
    "Novak^Petr^^Dr.",
];
const OPERATORS: [&str; 4] = ["Smith^John", "Kaur^Amrit", "Tanaka^Mika", "Berg^Lena"];
const STREETS: [&str; 5] = [
    "Maple Avenue",
    "Church Lane",
    "Bahnhofstrasse",
    "Quay Street",
    "Oak Drive",
];

/// A hospital and its scanner.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) institution: &'static str,
    pub(crate) address: &'static str,
    pub(crate) issuer: &'static str,
    pub(crate) city: &'static str,
    /// Telephone prefix of numbers reserved for fiction in that country.
    pub(crate) phone: &'static str,
    /// Prefix of the other (national) patient id.
    pub(crate) other_id: &'static str,
    pub(crate) station: &'static str,
    pub(crate) manufacturer: &'static str,
    pub(crate) model: &'static str,
    pub(crate) software: &'static str,
    pub(crate) serial: u32,
}

pub(crate) const SITES: [Site; 3] = [
    Site {
        institution: "Klinikum Nordstadt",
        address: "Lindenallee 3, 30161 Hannover, DE",
        issuer: "KLINIKUM",
        city: "Hannover",
        phone: "+49 30 23125 ",
        other_id: "KV",
        station: "MRC35017",
        manufacturer: "SIEMENS",
        model: "Prisma_fit",
        software: "syngo MR XA30",
        serial: 166_017,
    },
    Site {
        institution: "Riverside University Hospital",
        address: "12 Harbour Road, Eastport EP4 7QZ, UK",
        issuer: "RIVERSIDE",
        city: "Eastport",
        phone: "+44 20 7946 0",
        other_id: "NHS",
        station: "RUHMR3T01",
        manufacturer: "GE MEDICAL SYSTEMS",
        model: "SIGNA Premier",
        software: "30.1_R01",
        serial: 4_420_917,
    },
    Site {
        institution: "St. Aldric Medical Center",
        address: "455 Elm Street, Springfield, IL 62704, USA",
        issuer: "STALDRIC",
        city: "Springfield",
        phone: "+1 217 555 01",
        other_id: "SAMC",
        station: "SAMC_MR2",
        manufacturer: "Philips Medical Systems",
        model: "Ingenia Elition X",
        software: "5.7.1",
        serial: 72_045,
    },
];

/// One patient.
#[derive(Debug)]
pub(crate) struct Subject {
    /// 1-based.
    pub(crate) idx: u32,
    pub(crate) sex: &'static str,
    pub(crate) family: &'static str,
    pub(crate) given: &'static str,
    /// PatientName as written: `Family^Given[^Middle]`.
    pub(crate) name: String,
    /// PatientID: `MRN` and five digits (8 characters: also a legal DICOMDIR file id).
    pub(crate) pid: String,
    pub(crate) other_pid: String,
    pub(crate) birth: NaiveDate,
    pub(crate) address: String,
    pub(crate) phone: String,
    pub(crate) weight: f64,
    pub(crate) height: f64,
    pub(crate) site: &'static Site,
    pub(crate) exams: Vec<Exam>,
}

/// One examination (a DICOM study).
#[derive(Debug)]
pub(crate) struct Exam {
    /// 1-based.
    pub(crate) idx: u32,
    pub(crate) start: NaiveDateTime,
    /// AccessionNumber: `A`, the year's two digits and five digits (8 characters).
    pub(crate) accession: String,
    pub(crate) study_id: String,
    pub(crate) referring: &'static str,
    pub(crate) performing: &'static str,
    pub(crate) operator: &'static str,
}

impl Subject {
    /// PatientAge on `date`, as `NNNY`.
    pub(crate) fn age_on(&self, date: NaiveDate) -> String {
        let years = date.years_since(self.birth).unwrap_or(0);
        format!("{years:03}Y")
    }
}

/// The subjects of a corpus.
pub(crate) fn subjects(seed: u64, n: u32, exams: u32) -> Vec<Subject> {
    let mut rng = Rng::new(&[seed, 0x5045_4F50_4C45]); // "PEOPLE"
    let mut pids: Vec<String> = Vec::new();
    let mut accessions: Vec<String> = Vec::new();
    let epoch = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default();
    let first_exam = NaiveDate::from_ymd_opt(2019, 1, 7).unwrap_or_default();
    (1..=n)
        .map(|idx| {
            let sex = if rng.unit() < 0.5 { "F" } else { "M" };
            let given = rng.pick(if sex == "F" { &FIRST_F } else { &FIRST_M });
            let family = if idx == 1 {
                rng.pick(&LAST_UMLAUT)
            } else {
                rng.pick(&LAST)
            };
            let middle = rng.pick(&["A", "B", "J", "K", "M", "", ""]);
            let name = if middle.is_empty() {
                format!("{family}^{given}")
            } else {
                format!("{family}^{given}^{middle}")
            };
            let pid = unique(&mut pids, || format!("MRN{}", rng.int(10_000, 99_999)));
            let site = &SITES[(idx as usize - 1) % SITES.len()];
            let birth = epoch + Days::new(rng.int(0, 365 * 60));
            let address = format!("{} {}, {}", rng.int(1, 199), rng.pick(&STREETS), site.city);
            let phone = format!("{}{:02}", site.phone, rng.int(0, 99));
            let other_pid = format!("{}{}", site.other_id, rng.int(100_000_000, 999_999_999));
            let weight = (rng.range(50.0, 100.0) * 10.0).round() / 10.0;
            let height = (rng.range(1.55, 1.95) * 100.0).round() / 100.0;
            let mut date = first_exam + Days::new(rng.int(0, 900));
            let exams = (1..=exams)
                .map(|e| {
                    if e > 1 {
                        date = date + Days::new(rng.int(150, 420));
                    }
                    let time = NaiveTime::from_hms_opt(
                        rng.int(7, 17) as u32,
                        rng.int(0, 59) as u32,
                        rng.int(0, 59) as u32,
                    )
                    .unwrap_or_default();
                    let yy = date.format("%y").to_string();
                    let accession = unique(&mut accessions, || {
                        format!("A{yy}{}", rng.int(10_000, 99_999))
                    });
                    Exam {
                        idx: e,
                        start: date.and_time(time),
                        accession,
                        study_id: rng.int(1000, 9999).to_string(),
                        referring: rng.pick(&PHYSICIANS),
                        performing: rng.pick(&PHYSICIANS),
                        operator: rng.pick(&OPERATORS),
                    }
                })
                .collect();
            Subject {
                idx,
                sex,
                family,
                given,
                name,
                pid,
                other_pid,
                birth,
                address,
                phone,
                weight,
                height,
                site,
                exams,
            }
        })
        .collect()
}

/// A value `draw` makes that is not yet in `seen` (recorded there).
fn unique(seen: &mut Vec<String>, mut draw: impl FnMut() -> String) -> String {
    loop {
        let v = draw();
        if !seen.contains(&v) {
            seen.push(v.clone());
            return v;
        }
    }
}

/// The family name of a `Family^Given^^Prefix` person name.
pub(crate) fn family_of(pn: &str) -> &str {
    pn.split('^').next().unwrap_or(pn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_distinct_deterministic_and_legal_file_ids() {
        let a = subjects(5, 20, 3);
        let b = subjects(5, 20, 3);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(a[0].family.chars().any(|c| "äöü".contains(c)));
        let mut pids: Vec<&str> = a.iter().map(|s| s.pid.as_str()).collect();
        pids.sort();
        pids.dedup();
        assert_eq!(pids.len(), 20);
        for s in &a {
            assert_eq!(s.pid.len(), 8);
            assert!(s.exams.windows(2).all(|w| w[0].start < w[1].start));
            for e in &s.exams {
                assert_eq!(e.accession.len(), 8, "{}", e.accession);
            }
        }
    }
}
