//! Subject pseudonyms: a keyed hash of the normalized identity.
//!
//! The same person gets the same pseudonym at every center that shares the consortium linkage key,
//! as long as the centers recorded the same name and birth date; nobody without the key can compute
//! or test a pseudonym. The identity is normalized first, so that harmless differences between
//! hospital systems do not split a person in two:
//! - names: the first non-empty component group (alphabetic before ideographic/phonetic), family
//!   and given name components only (middle names, prefixes and suffixes differ between systems),
//!   split into words (spaces, hyphens, commas), each with diacritics folded to their base letter
//!   (`Müller` = `MULLER`; `ß` = `SS`, `Æ` = `AE`), upper case, letters and digits only; the words
//!   sorted, so `SCHMIDT^LUKAS`, `LUKAS SCHMIDT` and `Schmidt, Lukas` are one canonical name;
//! - birth date: `YYYYMMDD` (a value that is not a full date counts as absent);
//! - patient id: upper case without spaces, qualified by IssuerOfPatientID.
//!
//! Which identity is hashed: name + birth date when both exist (the only pair that links across
//! centers, whose record numbers differ); else the patient id with whatever else exists; else the
//! name alone; else the StudyInstanceUID (an unidentified object is its own subject per study).
//! `Müller^Hans` and `MUELLER^HANS` are two identities: the `ue` spelling is language-specific.

/// The pseudonym's prefix.
pub(super) const PSEUDONYM_PREFIX: &str = "NF";

/// Crockford base32 (no I, L, O, U): unambiguous when read aloud or retyped.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters folded to their base letters (Latin-1 Supplement, Latin Extended-A and -B), sorted.
#[rustfmt::skip]
const FOLD: &[(char, &str)] = &[
    ('À', "A"), ('Á', "A"), ('Â', "A"), ('Ã', "A"), ('Ä', "A"), ('Å', "A"), ('Æ', "AE"), ('Ç', "C"), ('È', "E"),
    ('É', "E"), ('Ê', "E"), ('Ë', "E"), ('Ì', "I"), ('Í', "I"), ('Î', "I"), ('Ï', "I"), ('Ð', "D"), ('Ñ', "N"),
    ('Ò', "O"), ('Ó', "O"), ('Ô', "O"), ('Õ', "O"), ('Ö', "O"), ('Ø', "O"), ('Ù', "U"), ('Ú', "U"), ('Û', "U"),
    ('Ü', "U"), ('Ý', "Y"), ('Þ', "TH"), ('ß', "SS"), ('à', "A"), ('á', "A"), ('â', "A"), ('ã', "A"), ('ä', "A"),
    ('å', "A"), ('æ', "AE"), ('ç', "C"), ('è', "E"), ('é', "E"), ('ê', "E"), ('ë', "E"), ('ì', "I"), ('í', "I"),
    ('î', "I"), ('ï', "I"), ('ð', "D"), ('ñ', "N"), ('ò', "O"), ('ó', "O"), ('ô', "O"), ('õ', "O"), ('ö', "O"),
    ('ø', "O"), ('ù', "U"), ('ú', "U"), ('û', "U"), ('ü', "U"), ('ý', "Y"), ('þ', "TH"), ('ÿ', "Y"), ('Ā', "A"),
    ('ā', "A"), ('Ă', "A"), ('ă', "A"), ('Ą', "A"), ('ą', "A"), ('Ć', "C"), ('ć', "C"), ('Ĉ', "C"), ('ĉ', "C"),
    ('Ċ', "C"), ('ċ', "C"), ('Č', "C"), ('č', "C"), ('Ď', "D"), ('ď', "D"), ('Đ', "D"), ('đ', "D"), ('Ē', "E"),
    ('ē', "E"), ('Ĕ', "E"), ('ĕ', "E"), ('Ė', "E"), ('ė', "E"), ('Ę', "E"), ('ę', "E"), ('Ě', "E"), ('ě', "E"),
    ('Ĝ', "G"), ('ĝ', "G"), ('Ğ', "G"), ('ğ', "G"), ('Ġ', "G"), ('ġ', "G"), ('Ģ', "G"), ('ģ', "G"), ('Ĥ', "H"),
    ('ĥ', "H"), ('Ħ', "H"), ('ħ', "H"), ('Ĩ', "I"), ('ĩ', "I"), ('Ī', "I"), ('ī', "I"), ('Ĭ', "I"), ('ĭ', "I"),
    ('Į', "I"), ('į', "I"), ('İ', "I"), ('ı', "I"), ('Ĵ', "J"), ('ĵ', "J"), ('Ķ', "K"), ('ķ', "K"), ('ĸ', "K"),
    ('Ĺ', "L"), ('ĺ', "L"), ('Ļ', "L"), ('ļ', "L"), ('Ľ', "L"), ('ľ', "L"), ('Ŀ', "L"), ('ŀ', "L"), ('Ł', "L"),
    ('ł', "L"), ('Ń', "N"), ('ń', "N"), ('Ņ', "N"), ('ņ', "N"), ('Ň', "N"), ('ň', "N"), ('ŉ', "N"), ('Ŋ', "N"),
    ('ŋ', "N"), ('Ō', "O"), ('ō', "O"), ('Ŏ', "O"), ('ŏ', "O"), ('Ő', "O"), ('ő', "O"), ('Œ', "OE"), ('œ', "OE"),
    ('Ŕ', "R"), ('ŕ', "R"), ('Ŗ', "R"), ('ŗ', "R"), ('Ř', "R"), ('ř', "R"), ('Ś', "S"), ('ś', "S"), ('Ŝ', "S"),
    ('ŝ', "S"), ('Ş', "S"), ('ş', "S"), ('Š', "S"), ('š', "S"), ('Ţ', "T"), ('ţ', "T"), ('Ť', "T"), ('ť', "T"),
    ('Ŧ', "T"), ('ŧ', "T"), ('Ũ', "U"), ('ũ', "U"), ('Ū', "U"), ('ū', "U"), ('Ŭ', "U"), ('ŭ', "U"), ('Ů', "U"),
    ('ů', "U"), ('Ű', "U"), ('ű', "U"), ('Ų', "U"), ('ų', "U"), ('Ŵ', "W"), ('ŵ', "W"), ('Ŷ', "Y"), ('ŷ', "Y"),
    ('Ÿ', "Y"), ('Ź', "Z"), ('ź', "Z"), ('Ż', "Z"), ('ż', "Z"), ('Ž', "Z"), ('ž', "Z"), ('ſ', "S"), ('Ơ', "O"),
    ('ơ', "O"), ('Ư', "U"), ('ư', "U"), ('Ǎ', "A"), ('ǎ', "A"), ('Ǐ', "I"), ('ǐ', "I"), ('Ǒ', "O"), ('ǒ', "O"),
    ('Ǔ', "U"), ('ǔ', "U"), ('Ǖ', "U"), ('ǖ', "U"), ('Ǘ', "U"), ('ǘ', "U"), ('Ǚ', "U"), ('ǚ', "U"), ('Ǜ', "U"),
    ('ǜ', "U"), ('Ǟ', "A"), ('ǟ', "A"), ('Ǡ', "A"), ('ǡ', "A"), ('Ǧ', "G"), ('ǧ', "G"), ('Ǩ', "K"), ('ǩ', "K"),
    ('Ǫ', "O"), ('ǫ', "O"), ('Ǭ', "O"), ('ǭ', "O"), ('ǰ', "J"), ('Ǵ', "G"), ('ǵ', "G"), ('Ǹ', "N"), ('ǹ', "N"),
    ('Ǻ', "A"), ('ǻ', "A"), ('Ȁ', "A"), ('ȁ', "A"), ('Ȃ', "A"), ('ȃ', "A"), ('Ȅ', "E"), ('ȅ', "E"), ('Ȇ', "E"),
    ('ȇ', "E"), ('Ȉ', "I"), ('ȉ', "I"), ('Ȋ', "I"), ('ȋ', "I"), ('Ȍ', "O"), ('ȍ', "O"), ('Ȏ', "O"), ('ȏ', "O"),
    ('Ȑ', "R"), ('ȑ', "R"), ('Ȓ', "R"), ('ȓ', "R"), ('Ȕ', "U"), ('ȕ', "U"), ('Ȗ', "U"), ('ȗ', "U"), ('Ș', "S"),
    ('ș', "S"), ('Ț', "T"), ('ț', "T"), ('Ȟ', "H"), ('ȟ', "H"), ('Ȧ', "A"), ('ȧ', "A"), ('Ȩ', "E"), ('ȩ', "E"),
    ('Ȫ', "O"), ('ȫ', "O"), ('Ȭ', "O"), ('ȭ', "O"), ('Ȯ', "O"), ('ȯ', "O"), ('Ȱ', "O"), ('ȱ', "O"), ('Ȳ', "Y"),
    ('ȳ', "Y"),
];

/// The normalized identity a pseudonym and a date offset are derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity(pub String);

/// The raw identity fields of one object, as read from its header.
#[derive(Debug, Default, Clone)]
pub(crate) struct IdentityFields<'a> {
    pub name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub patient_id: Option<&'a str>,
    pub issuer: Option<&'a str>,
    pub study_uid: Option<&'a str>,
}

impl Identity {
    /// The identity to hash, or `None` when the object carries nothing to tell its subject by.
    pub(super) fn from_fields(f: &IdentityFields<'_>) -> Option<Identity> {
        let name = f.name.and_then(normalize_name);
        let birth = f
            .birth_date
            .and_then(super::dates::parse_da)
            .and_then(super::dates::format_da);
        let id = f.patient_id.map(normalize_id).filter(|s| !s.is_empty());
        let issuer = f.issuer.map(normalize_id).unwrap_or_default();
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let key = match (&name, &birth, &id) {
            (Some(n), Some(b), _) => format!("v2|nb|{n}|{b}"),
            (_, _, Some(i)) => format!("v2|id|{issuer}|{i}|{}|{}", opt(&name), opt(&birth)),
            (Some(n), None, None) => format!("v2|n|{n}"),
            (None, _, None) => {
                let uid = f
                    .study_uid
                    .map(super::uid::trim_uid)
                    .filter(|u| !u.is_empty())?;
                format!("v2|study|{uid}|{}", opt(&birth))
            }
        };
        Some(Identity(key))
    }
}

/// The canonical name: the words of the family and given name components (split at spaces,
/// hyphens and commas), each folded and upper-cased, sorted and joined by `^`, so that
/// `FAMILY^GIVEN`, `GIVEN FAMILY` and `Family, Given` of one person agree; `None` when empty.
pub(crate) fn normalize_name(pn: &str) -> Option<String> {
    let group = pn
        .split('=')
        .find(|g| g.split('^').any(|c| !c.trim().is_empty()))?;
    let mut words: Vec<String> = group
        .split('^')
        .take(2)
        .flat_map(|c| c.split(|ch: char| ch.is_whitespace() || matches!(ch, '-' | ',')))
        .map(fold_upper_alnum)
        .filter(|w| !w.is_empty())
        .collect();
    words.sort_unstable();
    (!words.is_empty()).then(|| words.join("^"))
}

fn normalize_id(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_whitespace() && *c != '\0')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Diacritics folded, upper case, letters and digits only.
pub(crate) fn fold_upper_alnum(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if let Some(f) = fold(c) {
            out.push_str(f);
        } else if c.is_alphanumeric() {
            out.extend(c.to_uppercase());
        }
    }
    out
}

/// The base letters of `c`, upper case, when it is a Latin letter with a diacritic or a ligature.
pub(crate) fn fold(c: char) -> Option<&'static str> {
    FOLD.binary_search_by_key(&c, |(k, _)| *k)
        .ok()
        .map(|i| FOLD[i].1)
}

/// The key pseudonyms are derived from: a sub-key of the linkage key.
pub(crate) fn pseudonym_key(linkage: &[u8; 32]) -> [u8; 32] {
    blake3::derive_key("neurofed 2025 subject pseudonym v1", linkage)
}

/// The key date offsets are derived from: another sub-key of the linkage key.
pub(crate) fn offset_key(linkage: &[u8; 32]) -> [u8; 32] {
    blake3::derive_key("neurofed 2025 subject date offset v1", linkage)
}

/// `NF` + 12 Crockford base32 characters (60 bits).
pub(crate) fn pseudonym(key: &[u8; 32], identity: &Identity) -> String {
    let h = blake3::keyed_hash(key, identity.0.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    let n = u64::from_be_bytes(b) >> 4;
    let mut out = String::with_capacity(PSEUDONYM_PREFIX.len() + 12);
    out.push_str(PSEUDONYM_PREFIX);
    for i in (0..12).rev() {
        out.push(CROCKFORD[((n >> (5 * i)) & 31) as usize] as char);
    }
    out
}

/// Whether `s` has the shape of a [`pseudonym`] (`NF` + 12 Crockford base32 characters).
pub(crate) fn is_pseudonym(s: &str) -> bool {
    s.len() == PSEUDONYM_PREFIX.len() + 12
        && s.starts_with(PSEUDONYM_PREFIX)
        && s[PSEUDONYM_PREFIX.len()..]
            .bytes()
            .all(|b| CROCKFORD.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(name: Option<&str>, birth: Option<&str>, id: Option<&str>) -> Option<Identity> {
        Identity::from_fields(&IdentityFields {
            name,
            birth_date: birth,
            patient_id: id,
            issuer: None,
            study_uid: Some("1.2.3"),
        })
    }

    #[test]
    fn fold_table_is_sorted_and_folds() {
        assert!(FOLD.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(
            fold_upper_alnum("Müller-Lüdenscheidt"),
            "MULLERLUDENSCHEIDT"
        );
        assert_eq!(fold_upper_alnum("Straße"), "STRASSE");
        assert_eq!(fold_upper_alnum("Ærøskøbing"), "AEROSKOBING");
        assert_eq!(fold_upper_alnum("Łódź"), "LODZ");
        assert_eq!(fold_upper_alnum("O'Brien Jr."), "OBRIENJR");
        assert_eq!(fold_upper_alnum("Παπαδόπουλος"), "ΠΑΠΑΔΌΠΟΥΛΟΣ");
    }

    #[test]
    fn names_normalize() {
        let n = |s| normalize_name(s);
        assert_eq!(n("Schmidt^Lukas^B").as_deref(), Some("LUKAS^SCHMIDT"));
        for same in [
            "Lukas Schmidt",
            "LUKAS^SCHMIDT",
            "Schmidt, Lukas",
            "lukas  schmidt^",
            "schmidt^lukas",
            " SCHMIDT ^ Lukas ",
            "Schmidt^Lukas^^Dr.^",
            "Schmidt^Lukas^^^",
            "Schmidt^Lukas=シュミット^ルーカス",
        ] {
            assert_eq!(n(same).as_deref(), Some("LUKAS^SCHMIDT"), "{same}");
        }
        assert_eq!(n("Müller^Hans"), n("MULLER^HANS"));
        assert_ne!(n("Müller^Hans"), n("MUELLER^HANS"));
        assert_eq!(n("=山田^太郎").as_deref(), Some("太郎^山田"));
        assert_eq!(n("Müller-Lüdenscheidt^Hans"), n("Hans Müller Lüdenscheidt"));
        assert_ne!(n("Schmidt^Lukas"), n("Schmidt^Lena"));
        assert_eq!(n(""), None);
        assert_eq!(n("^^^"), None);
    }

    #[test]
    fn identity_prefers_name_and_birth_date() {
        let a = ident(Some("Schmidt^Lukas"), Some("19641115"), Some("MRN1"));
        let b = ident(
            Some("SCHMIDT^LUKAS^B"),
            Some("19641115"),
            Some("OTHER-CENTER-9"),
        );
        assert_eq!(a, b, "two centers, two record numbers, one person");
        let reordered = ident(Some("LUKAS SCHMIDT"), Some("19641115"), None);
        assert_eq!(
            a, reordered,
            "the order of the name's components does not matter"
        );
        let c = ident(Some("Schmidt^Lukas"), Some("19641116"), Some("MRN1"));
        assert_ne!(a, c);
        // Without a birth date the patient id decides.
        let d = ident(Some("Schmidt^Lukas"), None, Some("MRN1"));
        let e = ident(Some("Schmidt^Lukas"), None, Some("mrn 1"));
        let f = ident(Some("Schmidt^Lukas"), None, Some("MRN2"));
        assert_eq!(d, e);
        assert_ne!(d, f);
        assert_ne!(a, d);
        // A malformed birth date is no birth date.
        assert_eq!(
            ident(Some("X^Y"), Some("1964"), Some("1")),
            ident(Some("X^Y"), None, Some("1"))
        );
        // Nothing but the study: one subject per study.
        let g = ident(None, None, None).unwrap();
        assert!(g.0.contains("study|1.2.3"));
        assert!(Identity::from_fields(&IdentityFields::default()).is_none());
    }

    #[test]
    fn issuer_qualifies_an_id() {
        let with = |issuer| {
            Identity::from_fields(&IdentityFields {
                patient_id: Some("123"),
                issuer,
                ..Default::default()
            })
        };
        assert_ne!(with(Some("HOSP A")), with(Some("HOSP B")));
    }

    #[test]
    fn pseudonym_format_and_keying() {
        let k = pseudonym_key(&[3; 32]);
        let id = Identity("v2|nb|LUKAS^SCHMIDT|19641115".into());
        let p = pseudonym(&k, &id);
        assert_eq!(p.len(), 14);
        assert!(p.starts_with("NF"));
        assert!(p[2..].bytes().all(|b| CROCKFORD.contains(&b)));
        assert!(is_pseudonym(&p) && !is_pseudonym("NF123") && !is_pseudonym("SMITH^JOHN1234"));
        assert_eq!(p, pseudonym(&k, &id));
        assert_ne!(p, pseudonym(&pseudonym_key(&[4; 32]), &id));
        assert_ne!(pseudonym_key(&[3; 32]), offset_key(&[3; 32]));
        let mut all: Vec<String> = (0..2000)
            .map(|i| pseudonym(&k, &Identity(format!("v2|id||{i}||"))))
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 2000);
    }
}
