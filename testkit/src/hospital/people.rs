//! The four fake patients of the hospital corpus and the identifiers each one's files may hold.

use dicom_core::VR;

use super::ds::Charset;
use crate::scan::Needle;

/// One fake patient, everything about them that a hospital's files repeat.
#[derive(Debug, Clone)]
pub struct Patient {
    /// `P1` ... `P4`.
    pub label: &'static str,
    /// PatientName as most of their files write it.
    pub name: &'static str,
    /// PatientName as one file writes it (reordered, other case, without ideographs).
    pub alt_name: &'static str,
    /// The character set of their files.
    pub charset: Charset,
    /// PatientID.
    pub id: &'static str,
    /// The id as a report spells it.
    pub id_spelled: &'static str,
    /// A retired OtherPatientIDs value.
    pub other_id: &'static str,
    /// PatientBirthDate.
    pub birth: &'static str,
    /// The birth date as a report spells it (two forms).
    pub birth_spelled: [&'static str; 2],
    /// PatientSex.
    pub sex: &'static str,
    /// PatientAge.
    pub age: &'static str,
    /// AccessionNumber.
    pub accession: &'static str,
    /// StudyID.
    pub study_id: &'static str,
    /// InstitutionName.
    pub institution: &'static str,
    /// InstitutionAddress.
    pub institution_address: &'static str,
    /// PatientAddress.
    pub address: &'static str,
    /// PatientTelephoneNumbers.
    pub phone: &'static str,
    /// An e-mail address (in the report).
    pub email: &'static str,
    /// ReferringPhysicianName.
    pub referring: &'static str,
    /// PerformingPhysicianName.
    pub performing: &'static str,
    /// OperatorsName.
    pub operator: &'static str,
    /// StationName.
    pub station: &'static str,
    /// DeviceSerialNumber.
    pub serial: &'static str,
    /// StudyDate.
    pub study_date: &'static str,
    /// The study date as a description spells it.
    pub study_date_spelled: &'static str,
    /// A relative in free text: (relationship word, "Given Family").
    pub relative: (&'static str, &'static str),
    /// InsurancePlanIdentification (retired).
    pub insurance: &'static str,
    /// The VR the CSA header block (0029,xx10) is written with, if the files have one.
    pub csa_vr: Option<VR>,
    /// Whether the files carry the unknown vendor block (name in Latin-1 and UTF-16LE).
    pub vendor_block: bool,
}

/// The four patients.
pub(super) fn patients() -> Vec<Patient> {
    vec![
        Patient {
            label: "P1",
            name: "MÜLLER^JÜRGEN",
            alt_name: "JÜRGEN MÜLLER",
            charset: Charset::Latin1,
            id: "12345678",
            id_spelled: "12-345-678",
            other_id: "KSI-OLD-99812",
            birth: "19710405",
            birth_spelled: ["5.4.1971", "05APR1971"],
            sex: "M",
            age: "052Y",
            accession: "A24031277",
            study_id: "STU77881",
            institution: "Klinikum Sankt Irmgard",
            institution_address: "Irmgardstraße 14, 80331 München",
            address: "Lindwurmstraße 203^^München^^80337^DE",
            phone: "+49 89 4711 2233",
            email: "j.mueller@example.org",
            referring: "WEISSMANN^KLARA^^DR.",
            performing: "HOFBAUER^STEFAN",
            operator: "KRÄMER^LENA",
            station: "KSIMR01",
            serial: "SN448812",
            study_date: "20240312",
            study_date_spelled: "12.03.2024",
            relative: ("Mother", "Anna Schmidt"),
            insurance: "AOK Bayern 104212505",
            csa_vr: Some(VR::OB),
            vendor_block: true,
        },
        Patient {
            label: "P2",
            name: "Yamada^Tarou=山田^太郎",
            alt_name: "YAMADA^TAROU",
            charset: Charset::Jis,
            id: "JP-0098877",
            id_spelled: "0098 877",
            other_id: "TMC-OLD-31337",
            birth: "19830922",
            birth_spelled: ["22.9.1983", "22SEP1983"],
            sex: "M",
            age: "040Y",
            accession: "TMC55120",
            study_id: "TMC9911",
            institution: "Tokyo Minato Clinic",
            institution_address: "1-2-3 Shiba, Minato-ku, Tokyo",
            address: "4-5-6 Takanawa^^Tokyo^^108-0074^JP",
            phone: "03-5555-0142",
            email: "t.yamada@example.jp",
            referring: "SUZUKI^HANAKO",
            performing: "TANAKA^KENJI",
            operator: "SATO^YUI",
            station: "TMCMR3",
            serial: "7002215",
            study_date: "20231107",
            study_date_spelled: "2023-11-07",
            relative: ("Wife", "Keiko Yamada"),
            insurance: "Kyokai Kenpo 33018842",
            csa_vr: None,
            vendor_block: true,
        },
        Patient {
            label: "P3",
            name: "DUBOIS^HÉLÈNE^MARIE",
            alt_name: "Dubois^Hélène",
            charset: Charset::Utf8,
            id: "FR7765432",
            id_spelled: "776.54.32",
            other_id: "HSM-OLD-44120",
            birth: "19650117",
            birth_spelled: ["17/1/1965", "17JAN1965"],
            sex: "F",
            age: "059Y",
            accession: "HSM202400931",
            study_id: "HSM4471",
            institution: "Hôpital Sainte-Marthe",
            institution_address: "8 rue des Capucins, 84000 Avignon",
            address: "27 avenue Foch^^Avignon^^84000^FR",
            phone: "+33 1 44 55 66 77",
            email: "helene.dubois@example.fr",
            referring: "LEFÈVRE^ANTOINE",
            performing: "GARNIER^PAUL",
            operator: "ROUSSEAU^CÉLINE",
            station: "HSMIRM2",
            serial: "FR99018",
            study_date: "20240130",
            study_date_spelled: "30/01/2024",
            relative: ("Husband", "Pierre Dubois"),
            insurance: "CPAM Vaucluse 1650184000123",
            csa_vr: Some(VR::OW),
            vendor_block: false,
        },
        Patient {
            label: "P4",
            name: "ØSTERGÅRD^SØREN",
            alt_name: "Østergård^Søren",
            charset: Charset::Latin1,
            id: "2503781234",
            id_spelled: "250378-1234",
            other_id: "NBD-OLD-77031",
            birth: "19780325",
            birth_spelled: ["25.3.1978", "25MAR1978"],
            sex: "M",
            age: "046Y",
            accession: "NBD0045123",
            study_id: "NBD5120",
            institution: "Nordsjælland Billeddiagnostik",
            institution_address: "Dyrehavevej 29, 3400 Hillerød",
            address: "Slotsgade 9^^Hillerød^^3400^DK",
            phone: "+45 35 45 12 34",
            email: "soren.ostergard@example.dk",
            referring: "NIELSEN^METTE",
            performing: "HANSEN^JENS",
            operator: "LARSEN^IDA",
            station: "NBDMR1",
            serial: "DK33412",
            study_date: "20240605",
            study_date_spelled: "5.6.2024",
            relative: ("Daughter", "Karen Østergård"),
            insurance: "Sygesikring 2503781234",
            csa_vr: Some(VR::UN),
            vendor_block: false,
        },
    ]
}

/// Every identifier of `p` that a file of theirs may hold, labelled (`P1 family name`).
pub(super) fn needles(_pi: usize, p: &Patient) -> Vec<Needle> {
    let mut out = Vec::new();
    let mut add = |what: &str, v: &str| {
        if v.len() >= 4 {
            out.push(Needle {
                label: format!("{} {what}", p.label),
                value: v.to_string(),
            });
        }
    };
    for (gi, group) in p.name.split('=').enumerate() {
        let script = if gi == 0 { "" } else { " (ideographic)" };
        for (ci, comp) in group.split('^').enumerate() {
            let what = ["family name", "given name", "middle name"]
                .get(ci)
                .copied()
                .unwrap_or("name part");
            add(&format!("{what}{script}"), comp);
        }
    }
    for w in p.alt_name.split([' ', '^']) {
        add("name as written in one file", w);
    }
    add("patient id", p.id);
    add("patient id spelled", p.id_spelled);
    add("other patient id (retired tag)", p.other_id);
    add("birth date", p.birth);
    add("birth date spelled", p.birth_spelled[0]);
    add("birth date spelled", p.birth_spelled[1]);
    let iso = format!("{}-{}-{}", &p.birth[..4], &p.birth[4..6], &p.birth[6..]);
    add("birth date ISO", &iso);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = p.birth[4..6].parse::<usize>().unwrap_or(1).clamp(1, 12);
    let day = p.birth[6..].parse::<u32>().unwrap_or(1);
    add(
        "birth date, month written out",
        &format!("{} {day}, {}", MONTHS[month - 1], &p.birth[..4]),
    );
    let dotted = format!("{}.{}.{}", &p.birth[6..], &p.birth[4..6], &p.birth[..4]);
    add("birth date dotted", &dotted);
    add("accession number", p.accession);
    add("study id", p.study_id);
    add("institution", p.institution);
    add("institution address", p.institution_address);
    add("patient address", p.address.split('^').next().unwrap_or(""));
    add("phone", p.phone);
    add("e-mail", p.email);
    for (what, pn) in [
        ("referring physician", p.referring),
        ("performing physician", p.performing),
        ("operator", p.operator),
    ] {
        add(what, pn.split('^').next().unwrap_or(""));
    }
    add("station name", p.station);
    add("device serial", p.serial);
    add("study date", p.study_date);
    add("study date spelled", p.study_date_spelled);
    add("relative", p.relative.1);
    for w in p.relative.1.split(' ') {
        add("relative's name", w);
    }
    add("insurance (retired tag)", p.insurance);
    out
}
