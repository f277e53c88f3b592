//! Unit tests of the whole conversion on small series built in memory: slice sorting, 4-D,
//! scaling, mosaics, multi-frame, sidecar, and every refusal.

use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use super::*;

const MR: &str = "1.2.840.10008.5.1.4.1.1.4";
const ENHANCED_MR: &str = "1.2.840.10008.5.1.4.1.1.4.1";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";

fn ds(v: &[f64]) -> PrimitiveValue {
    PrimitiveValue::Strs(v.iter().map(|x| format!("{x}")).collect())
}

fn put(o: &mut InMemDicomObject, tag: Tag, vr: VR, v: PrimitiveValue) {
    o.put(DataElement::new(tag, vr, v));
}

/// One classic MR slice.
#[derive(Clone)]
struct Slice {
    ipp: [f64; 3],
    iop: [f64; 6],
    spacing: [f64; 2],
    rows: u16,
    cols: u16,
    instance: i32,
    tpi: Option<i32>,
    acq: Option<i32>,
    echo: Option<i32>,
    rescale: Option<(f64, f64)>,
    pixels: Vec<u16>,
}

impl Slice {
    fn axial(z: f64, instance: i32, value: u16) -> Slice {
        Slice {
            ipp: [-10.0, -20.0, z],
            iop: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            spacing: [2.0, 1.5],
            rows: 3,
            cols: 4,
            instance,
            tpi: None,
            acq: None,
            echo: None,
            rescale: None,
            pixels: (0..12).map(|i| value * 100 + i).collect(),
        }
    }
}

fn base(sop: &str) -> InMemDicomObject {
    let mut o = InMemDicomObject::new_empty();
    put(&mut o, tags::SOP_CLASS_UID, VR::UI, sop.into());
    put(&mut o, tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4".into());
    put(&mut o, tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3".into());
    put(&mut o, tags::PATIENT_NAME, VR::PN, "Secret^Person".into());
    put(&mut o, tags::PATIENT_ID, VR::LO, "MRN0001".into());
    put(&mut o, tags::STUDY_DATE, VR::DA, "20200101".into());
    put(&mut o, tags::REPETITION_TIME, VR::DS, ds(&[2000.0]));
    put(&mut o, tags::ECHO_TIME, VR::DS, ds(&[2.98]));
    put(&mut o, tags::FLIP_ANGLE, VR::DS, ds(&[9.0]));
    put(&mut o, tags::MANUFACTURER, VR::LO, "ACME".into());
    put(
        &mut o,
        tags::IMAGE_TYPE,
        VR::CS,
        PrimitiveValue::Strs(["ORIGINAL".into(), "PRIMARY".into()].into()),
    );
    put(
        &mut o,
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(1u16),
    );
    put(
        &mut o,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "MONOCHROME2".into(),
    );
    put(
        &mut o,
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(16u16),
    );
    put(
        &mut o,
        tags::BITS_STORED,
        VR::US,
        PrimitiveValue::from(16u16),
    );
    put(
        &mut o,
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    );
    o
}

fn with_meta(o: InMemDicomObject, ts: &str) -> DefaultDicomObject {
    o.with_meta(FileMetaTableBuilder::new().transfer_syntax(ts))
        .unwrap()
}

fn classic(s: &Slice) -> DefaultDicomObject {
    let mut o = base(MR);
    put(&mut o, tags::IMAGE_POSITION_PATIENT, VR::DS, ds(&s.ipp));
    put(&mut o, tags::IMAGE_ORIENTATION_PATIENT, VR::DS, ds(&s.iop));
    put(&mut o, tags::PIXEL_SPACING, VR::DS, ds(&s.spacing));
    put(&mut o, tags::ROWS, VR::US, PrimitiveValue::from(s.rows));
    put(&mut o, tags::COLUMNS, VR::US, PrimitiveValue::from(s.cols));
    put(
        &mut o,
        tags::INSTANCE_NUMBER,
        VR::IS,
        s.instance.to_string().into(),
    );
    put(&mut o, tags::SLICE_THICKNESS, VR::DS, ds(&[2.5]));
    if let Some(t) = s.tpi {
        put(
            &mut o,
            tags::TEMPORAL_POSITION_IDENTIFIER,
            VR::IS,
            t.to_string().into(),
        );
    }
    if let Some(a) = s.acq {
        put(
            &mut o,
            tags::ACQUISITION_NUMBER,
            VR::IS,
            a.to_string().into(),
        );
    }
    if let Some(e) = s.echo {
        put(&mut o, tags::ECHO_NUMBERS, VR::IS, e.to_string().into());
    }
    if let Some((sl, ic)) = s.rescale {
        put(&mut o, tags::RESCALE_SLOPE, VR::DS, ds(&[sl]));
        put(&mut o, tags::RESCALE_INTERCEPT, VR::DS, ds(&[ic]));
    }
    put(
        &mut o,
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(s.pixels.clone().into()),
    );
    with_meta(o, EXPLICIT_LE)
}

/// A parsed NIfTI-1 file.
struct Nii {
    dims: Vec<usize>,
    datatype: i16,
    pixdim: [f32; 5],
    scl: [f32; 2],
    codes: [i16; 2],
    srow: [[f32; 4]; 3],
    data: Vec<u8>,
}

fn parse(bytes: &[u8]) -> Nii {
    let i16_at = |o: usize| i16::from_le_bytes([bytes[o], bytes[o + 1]]);
    let f32_at = |o: usize| f32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    assert_eq!(i16_at(0) as i32 + ((i16_at(2) as i32) << 16), 348);
    assert_eq!(&bytes[344..348], b"n+1\0");
    let n = i16_at(40) as usize;
    Nii {
        dims: (0..n).map(|d| i16_at(42 + 2 * d) as usize).collect(),
        datatype: i16_at(70),
        pixdim: [f32_at(76), f32_at(80), f32_at(84), f32_at(88), f32_at(92)],
        scl: [f32_at(112), f32_at(116)],
        codes: [i16_at(252), i16_at(254)],
        srow: [0, 1, 2].map(|r| [0, 1, 2, 3].map(|c| f32_at(280 + 16 * r + 4 * c))),
        data: bytes[header::VOX_OFFSET..].to_vec(),
    }
}

fn u16s(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn nii_opts() -> NiftiOptions {
    NiftiOptions {
        gzip: false,
        ..NiftiOptions::default()
    }
}

fn convert(objs: &[DefaultDicomObject]) -> Result<Converted, NotConverted> {
    let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
    convert_series(&refs, &nii_opts())
}

#[test]
fn classic_slices_sort_by_position_not_instance_number() {
    // Instance numbers run against the position; files come in a third order.
    let objs: Vec<_> = [
        (2.0, 1, 2),
        (0.0, 3, 0),
        (4.0, 2, 4),
        (6.0, 5, 6),
        (8.0, 4, 8),
    ]
    .iter()
    .map(|&(z, inst, v)| classic(&Slice::axial(z, inst, v)))
    .collect();
    let c = convert(&objs).unwrap();
    assert_eq!(c.shape, vec![4, 3, 5]);
    assert_eq!(c.datatype, "uint16");
    assert_eq!(c.voxel_size, vec![1.5, 2.0, 2.0]);
    let n = parse(&c.bytes);
    assert_eq!(
        (n.dims.clone(), n.datatype, n.codes),
        (vec![4, 3, 5], 512, [1, 1])
    );
    let v = u16s(&n.data);
    // Slice k holds value 2k; row order flipped (j = 0 is the last DICOM row).
    for k in 0..5 {
        let slice = &v[k * 12..(k + 1) * 12];
        assert_eq!(slice[0], (2 * k as u16) * 100 + 8, "slice {k}");
        assert_eq!(slice[11], (2 * k as u16) * 100 + 3);
    }
    // Axial, IOP identity: i -> L, j -> A (rows flipped: DICOM rows run to P), k -> S.
    let a = c.geometry.affine.unwrap();
    assert_eq!(c.geometry.orientation.as_deref(), Some("LAS"));
    assert_eq!([a[0][0], a[1][1], a[2][2]], [-1.5, 2.0, 2.0]);
    // Voxel (0, 0, 0) is DICOM row 2, column 0 of the lowest slice: LPS (-10, -16, 0).
    assert_eq!([a[0][3], a[1][3], a[2][3]], [10.0, 16.0, 0.0]);
    assert_eq!(n.srow[1][3], 16.0);
    assert_eq!(n.pixdim[4], 2.0, "TR in pixdim[4]");
}

#[test]
fn input_order_does_not_change_a_byte() {
    let mut objs: Vec<_> = (0..6)
        .map(|k| classic(&Slice::axial(k as f64 * 3.0, k + 1, k as u16)))
        .collect();
    let a = convert(&objs).unwrap();
    objs.reverse();
    objs.swap(1, 4);
    let b = convert(&objs).unwrap();
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.sidecar, b.sidecar);
}

#[test]
fn repeated_positions_make_volumes_in_temporal_order() {
    let mut objs = Vec::new();
    for t in [2, 1] {
        for z in [4.0, 0.0, 2.0] {
            let mut s = Slice::axial(z, t * 10 + z as i32, (t * 10) as u16 + z as u16);
            s.tpi = Some(t);
            objs.push(classic(&s));
        }
    }
    let c = convert(&objs).unwrap();
    assert_eq!(c.shape, vec![4, 3, 3, 2]);
    assert_eq!(c.voxel_size, vec![1.5, 2.0, 2.0, 2.0]);
    assert_eq!(c.geometry.volumes, 2);
    let v = u16s(&parse(&c.bytes).data);
    let first_of = |t: usize, k: usize| v[(t * 3 + k) * 12 + 11] / 100 * 100 / 100;
    assert_eq!(
        [
            first_of(0, 0),
            first_of(0, 2),
            first_of(1, 0),
            first_of(1, 2)
        ],
        [10, 14, 20, 24]
    );
}

#[test]
fn acquisition_number_orders_volumes_when_instance_numbers_restart() {
    let mut objs = Vec::new();
    for acq in [3, 1, 2] {
        for (i, z) in [0.0, 2.0].iter().enumerate() {
            let mut s = Slice::axial(*z, i as i32 + 1, acq as u16);
            s.acq = Some(acq);
            objs.push(classic(&s));
        }
    }
    let c = convert(&objs).unwrap();
    assert_eq!(c.shape, vec![4, 3, 2, 3]);
    let v = u16s(&parse(&c.bytes).data);
    let vols: Vec<u16> = (0..3).map(|t| v[t * 24] / 100).collect();
    assert_eq!(vols, vec![1, 2, 3]);
}

#[test]
fn uniform_rescale_goes_to_the_header_varying_rescale_to_float32() {
    let mk = |k: i32, r: (f64, f64)| {
        let mut s = Slice::axial(k as f64, k + 1, k as u16);
        s.rescale = Some(r);
        classic(&s)
    };
    let same: Vec<_> = (0..3).map(|k| mk(k, (2.5, -10.0))).collect();
    let c = convert(&same).unwrap();
    assert_eq!((c.datatype, c.scaling), ("uint16", [2.5, -10.0]));
    assert_eq!(parse(&c.bytes).scl, [2.5, -10.0]);

    let varying: Vec<_> = (0..3).map(|k| mk(k, (1.0 + k as f64, 0.5))).collect();
    let c = convert(&varying).unwrap();
    assert_eq!((c.datatype, c.scaling), ("float32", [1.0, 0.0]));
    let n = parse(&c.bytes);
    assert_eq!(n.datatype, 16);
    let f: Vec<f32> = n
        .data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    // Slice 2: raw 200 + 8 at voxel 0, slope 3, intercept 0.5.
    assert_eq!(f[24], (208.0 * 3.0 + 0.5) as f32);
}

#[test]
fn gzip_holds_the_same_file() {
    let objs: Vec<_> = (0..3)
        .map(|k| classic(&Slice::axial(k as f64, k + 1, 7)))
        .collect();
    let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
    let gz = convert_series(&refs, &NiftiOptions::default()).unwrap();
    let plain = convert_series(&refs, &nii_opts()).unwrap();
    assert!(gz.gzip && gz.extension() == ".nii.gz");
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz.bytes[..]), &mut out).unwrap();
    assert_eq!(out, plain.bytes);
    // Deterministic (no time stamp in the gzip header): same content id every time.
    assert_eq!(
        gz.bytes,
        convert_series(&refs, &NiftiOptions::default())
            .unwrap()
            .bytes
    );
}

#[test]
fn sidecar_has_the_acquisition_keys_in_bids_units_and_no_phi() {
    let objs: Vec<_> = (0..2)
        .map(|k| classic(&Slice::axial(k as f64, k + 1, 1)))
        .collect();
    let c = convert(&objs).unwrap();
    let s = &c.sidecar;
    assert_eq!(s["RepetitionTime"], 2.0);
    assert_eq!(s["EchoTime"], 0.00298);
    assert_eq!(s["FlipAngle"], 9.0);
    assert_eq!(s["SliceThickness"], 2.5);
    assert_eq!(s["Manufacturer"], "ACME");
    assert_eq!(s["ImageType"], serde_json::json!(["ORIGINAL", "PRIMARY"]));
    let text = s.to_string();
    for phi in ["Secret", "MRN0001", "20200101", "1.2.3"] {
        assert!(!text.contains(phi), "{phi} in {text}");
    }
}

#[test]
fn refusals_carry_a_reason() {
    let ok = |z: f64, i: i32| Slice::axial(z, i, 1);
    let cases: Vec<(&str, Vec<Slice>, &str)> = vec![
        (
            "orientations",
            vec![
                ok(0.0, 1),
                Slice {
                    iop: [0.0, 1.0, 0.0, 0.0, 0.0, -1.0],
                    ..ok(1.0, 2)
                },
            ],
            "orientations",
        ),
        (
            "gaps",
            vec![ok(0.0, 1), ok(1.0, 2), ok(3.0, 3)],
            "unequal slice spacing",
        ),
        (
            "counts",
            vec![ok(0.0, 1), ok(0.0, 2), ok(1.0, 3)],
            "unequal numbers",
        ),
        (
            "duplicates",
            vec![ok(0.0, 1), ok(0.0, 1), ok(1.0, 2), ok(1.0, 2)],
            "duplicate",
        ),
        (
            "echoes",
            vec![
                Slice {
                    echo: Some(1),
                    ..ok(0.0, 1)
                },
                Slice {
                    echo: Some(2),
                    ..ok(0.0, 2)
                },
            ],
            "echoes",
        ),
        (
            "size",
            vec![
                ok(0.0, 1),
                Slice {
                    rows: 2,
                    pixels: vec![0; 8],
                    ..ok(1.0, 2)
                },
            ],
            "differ in size",
        ),
        (
            "short",
            vec![Slice {
                pixels: vec![0; 5],
                ..ok(0.0, 1)
            }],
            "pixel data holds",
        ),
        (
            "spacing",
            vec![
                ok(0.0, 1),
                Slice {
                    spacing: [1.0, 1.0],
                    ..ok(1.0, 2)
                },
            ],
            "pixel spacings",
        ),
        (
            "shear",
            vec![
                ok(0.0, 1),
                Slice {
                    ipp: [-5.0, -20.0, 2.0],
                    ..ok(2.0, 2)
                },
            ],
            "sheared",
        ),
        (
            "shifted",
            vec![
                ok(0.0, 1),
                Slice {
                    ipp: [-5.0, -20.0, 0.0],
                    ..ok(0.0, 2)
                },
            ],
            "shifted in-plane",
        ),
        (
            "off line",
            vec![
                ok(0.0, 1),
                Slice {
                    ipp: [-12.0, -20.0, 1.0],
                    ..ok(1.0, 2)
                },
                ok(2.0, 3),
            ],
            "off the line",
        ),
    ];
    for (name, slices, want) in cases {
        let objs: Vec<_> = slices.iter().map(classic).collect();
        match convert(&objs) {
            Err(e) => assert!(e.to_string().contains(want), "{name}: {e}"),
            Ok(c) => panic!("{name}: converted to {:?}", c.shape),
        }
    }
}

#[test]
fn non_images_colour_and_compressed_are_refused() {
    let mut sr = InMemDicomObject::new_empty();
    put(
        &mut sr,
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.88.22".into(),
    );
    let e = convert(&[with_meta(sr, EXPLICIT_LE)]).unwrap_err();
    assert_eq!(
        e,
        NotConverted::NotImage("1.2.840.10008.5.1.4.1.1.88.22".into())
    );
    assert_eq!(e.code(), "not-image");

    // An MR instance that lost its pixels says so.
    let mut bare = classic(&Slice::axial(0.0, 1, 1));
    bare.remove_element(tags::PIXEL_DATA);
    let e = convert(&[bare]).unwrap_err();
    assert_eq!(
        e,
        NotConverted::NoPixelData("1.2.840.10008.5.1.4.1.1.4".into())
    );
    assert_eq!(
        e.to_string(),
        "no pixel data in an image instance (SOP class 1.2.840.10008.5.1.4.1.1.4)"
    );

    let rgb = {
        let mut o = classic(&Slice::axial(0.0, 1, 1));
        put(
            &mut o,
            tags::SAMPLES_PER_PIXEL,
            VR::US,
            PrimitiveValue::from(3u16),
        );
        o
    };
    assert!(matches!(convert(&[rgb]), Err(NotConverted::Unsupported(_))));

    let mono1 = {
        let mut o = classic(&Slice::axial(0.0, 1, 1));
        put(
            &mut o,
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            "MONOCHROME1".into(),
        );
        o
    };
    assert!(matches!(
        convert(&[mono1]),
        Err(NotConverted::Unsupported(_))
    ));

    let jpeg = {
        let mut o = base(MR);
        o.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            Value::PixelSequence(PixelFragmentSequence::new_fragments(vec![vec![0u8; 8]])),
        ));
        with_meta(o, "1.2.840.10008.1.2.4.70")
    };
    let e = convert(&[jpeg]).unwrap_err();
    assert!(
        matches!(&e, NotConverted::Compressed(ts) if ts.contains("JPEG Lossless")),
        "{e}"
    );
    assert_eq!(convert(&[]).unwrap_err(), NotConverted::Empty);
}

#[test]
fn big_endian_words_and_little_endian_bytes_agree() {
    let s = Slice::axial(0.0, 1, 3);
    let le = classic(&s);
    // Same pixels as OB bytes (little-endian stream).
    let ob = {
        let mut o = classic(&s);
        let bytes: Vec<u8> = s.pixels.iter().flat_map(|v| v.to_le_bytes()).collect();
        put(
            &mut o,
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::U8(bytes.into()),
        );
        o
    };
    // Big endian: dicom-rs hands OW words over already decoded.
    let be = {
        let o: InMemDicomObject = (*classic(&s)).clone();
        with_meta(o, "1.2.840.10008.1.2.2")
    };
    let a = convert(&[le]).unwrap().bytes;
    assert_eq!(a, convert(&[ob]).unwrap().bytes);
    assert_eq!(a, convert(&[be]).unwrap().bytes);
}

/// A Siemens mosaic of `n` tiles of 2x3 (rows x cols), tile k filled with k.
fn mosaic(n: usize, normal: [f64; 3], instance: i32, times: bool) -> DefaultDicomObject {
    let grid = (1..).find(|g| g * g >= n).unwrap();
    let (tr, tc) = (2usize, 3usize);
    let (rows, cols) = (tr * grid, tc * grid);
    let mut px = vec![0u16; rows * cols];
    for k in 0..n {
        for r in 0..tr {
            for c in 0..tc {
                px[((k / grid) * tr + r) * cols + (k % grid) * tc + c] =
                    (k * 10 + r * 3 + c) as u16;
            }
        }
    }
    let mut o = base(MR);
    put(
        &mut o,
        tags::IMAGE_TYPE,
        VR::CS,
        PrimitiveValue::Strs(vec!["ORIGINAL".into(), "PRIMARY".into(), "MOSAIC".into()].into()),
    );
    put(
        &mut o,
        tags::IMAGE_POSITION_PATIENT,
        VR::DS,
        ds(&[-100.0, -80.0, 10.0]),
    );
    put(
        &mut o,
        tags::IMAGE_ORIENTATION_PATIENT,
        VR::DS,
        ds(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
    );
    put(&mut o, tags::PIXEL_SPACING, VR::DS, ds(&[2.0, 2.0]));
    put(&mut o, tags::SPACING_BETWEEN_SLICES, VR::DS, ds(&[4.0]));
    put(
        &mut o,
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(rows as u16),
    );
    put(
        &mut o,
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(cols as u16),
    );
    put(
        &mut o,
        tags::INSTANCE_NUMBER,
        VR::IS,
        instance.to_string().into(),
    );
    put(
        &mut o,
        tags::IN_PLANE_PHASE_ENCODING_DIRECTION,
        VR::CS,
        "COL".into(),
    );
    put(
        &mut o,
        Tag(0x0029, 0x0010),
        VR::LO,
        "SIEMENS CSA HEADER".into(),
    );
    let mut csa_tags = vec![
        ("NumberOfImagesInMosaic", 1, vec![n.to_string()]),
        (
            "SliceNormalVector",
            3,
            normal.iter().map(|v| v.to_string()).collect(),
        ),
        ("PhaseEncodingDirectionPositive", 1, vec!["0".to_string()]),
    ];
    if times {
        csa_tags.push((
            "MosaicRefAcqTimes",
            0,
            (0..n).map(|k| (k * 100).to_string()).collect(),
        ));
    }
    let header = csa::tests::build(&csa_tags);
    put(
        &mut o,
        Tag(0x0029, 0x1010),
        VR::OB,
        PrimitiveValue::U8(header.into()),
    );
    put(
        &mut o,
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(px.into()),
    );
    with_meta(o, EXPLICIT_LE)
}

#[test]
fn mosaic_tiles_positions_and_slice_timing() {
    // 3 tiles on a 2x2 grid, slices ascending along +z.
    let c = convert(&[
        mosaic(3, [0.0, 0.0, 1.0], 1, true),
        mosaic(3, [0.0, 0.0, 1.0], 2, true),
    ])
    .unwrap();
    assert_eq!(c.shape, vec![3, 2, 3, 2]);
    assert_eq!(c.geometry.kind, SeriesKind::Mosaic);
    let v = u16s(&parse(&c.bytes).data);
    // Tile k, first voxel = last tile row (flipped), column 0: k*10 + 3.
    assert_eq!([v[0], v[6], v[12], v[18]], [3, 13, 23, 3]);
    // First tile's top-left: IPP + (6-3)/2*2 along x + (4-2)/2*2 along y = (-97, -78, 10).
    // Voxel (0,0,0) is its bottom-left: y + 1 row * 2 mm = -76 (LPS) -> RAS (97, 76, 10).
    let a = c.geometry.affine.unwrap();
    assert_eq!([a[0][3], a[1][3], a[2][3]], [97.0, 76.0, 10.0]);
    assert_eq!(a[2][2], 4.0);
    assert_eq!(c.sidecar["SliceTiming"], serde_json::json!([0.0, 0.1, 0.2]));
    assert_eq!(c.sidecar["PhaseEncodingDirection"], "j");

    // Slice normal against the IOP cross product: tiles go down in z; we sort them upwards,
    // slice timing follows the slices.
    let c = convert(&[mosaic(3, [0.0, 0.0, -1.0], 1, true)]).unwrap();
    let v = u16s(&parse(&c.bytes).data);
    assert_eq!([v[0], v[6], v[12]], [23, 13, 3]);
    let a = c.geometry.affine.unwrap();
    assert_eq!((a[2][3], a[2][2]), (2.0, 4.0));
    assert_eq!(c.sidecar["SliceTiming"], serde_json::json!([0.2, 0.1, 0.0]));
}

#[test]
fn mosaic_without_its_csa_header_is_refused() {
    let mut o: InMemDicomObject = (*mosaic(4, [0.0, 0.0, 1.0], 1, false)).clone();
    o.remove_element(Tag(0x0029, 0x1010));
    o.remove_element(Tag(0x0029, 0x0010));
    let e = convert(&[with_meta(o, EXPLICIT_LE)]).unwrap_err();
    assert!(e.to_string().contains("CSA"), "{e}");
    let e = convert(&[mosaic(4, [1.0, 0.0, 0.0], 1, false)]).unwrap_err();
    assert!(e.to_string().contains("SliceNormalVector"), "{e}");
}

fn seq(tag: Tag, item: InMemDicomObject) -> DataElement<InMemDicomObject> {
    DataElement::new(
        tag,
        VR::SQ,
        Value::from(dicom_core::value::DataSetSequence::from(vec![item])),
    )
}

/// An enhanced MR object with per-frame positions `zs` (mm) and temporal indices `tpis`.
fn enhanced(zs: &[f64], tpis: &[u32], slopes: &[f64]) -> DefaultDicomObject {
    let (rows, cols) = (2u16, 2u16);
    let mut o = base(ENHANCED_MR);
    o.remove_element(tags::REPETITION_TIME);
    put(&mut o, tags::ROWS, VR::US, PrimitiveValue::from(rows));
    put(&mut o, tags::COLUMNS, VR::US, PrimitiveValue::from(cols));
    put(
        &mut o,
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        zs.len().to_string().into(),
    );
    let mut shared = InMemDicomObject::new_empty();
    let mut orient = InMemDicomObject::new_empty();
    put(
        &mut orient,
        tags::IMAGE_ORIENTATION_PATIENT,
        VR::DS,
        ds(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
    );
    shared.put(seq(tags::PLANE_ORIENTATION_SEQUENCE, orient));
    let mut measures = InMemDicomObject::new_empty();
    put(&mut measures, tags::PIXEL_SPACING, VR::DS, ds(&[1.0, 1.0]));
    put(&mut measures, tags::SLICE_THICKNESS, VR::DS, ds(&[3.0]));
    shared.put(seq(tags::PIXEL_MEASURES_SEQUENCE, measures));
    let mut timing = InMemDicomObject::new_empty();
    put(&mut timing, tags::REPETITION_TIME, VR::DS, ds(&[1500.0]));
    shared.put(seq(tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE, timing));
    o.put(seq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, shared));
    let frames: Vec<InMemDicomObject> = zs
        .iter()
        .zip(tpis)
        .zip(slopes)
        .map(|((z, t), s)| {
            let mut f = InMemDicomObject::new_empty();
            let mut pos = InMemDicomObject::new_empty();
            put(
                &mut pos,
                tags::IMAGE_POSITION_PATIENT,
                VR::DS,
                ds(&[0.0, 0.0, *z]),
            );
            f.put(seq(tags::PLANE_POSITION_SEQUENCE, pos));
            let mut content = InMemDicomObject::new_empty();
            put(
                &mut content,
                tags::TEMPORAL_POSITION_INDEX,
                VR::UL,
                PrimitiveValue::from(*t),
            );
            f.put(seq(tags::FRAME_CONTENT_SEQUENCE, content));
            let mut pvt = InMemDicomObject::new_empty();
            put(&mut pvt, tags::RESCALE_SLOPE, VR::DS, ds(&[*s]));
            put(&mut pvt, tags::RESCALE_INTERCEPT, VR::DS, ds(&[0.0]));
            f.put(seq(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE, pvt));
            f
        })
        .collect();
    o.put(DataElement::new(
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        VR::SQ,
        Value::from(dicom_core::value::DataSetSequence::from(frames)),
    ));
    // Frame f is filled with f.
    let px: Vec<u16> = (0..zs.len()).flat_map(|f| [f as u16; 4]).collect();
    put(
        &mut o,
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(px.into()),
    );
    with_meta(o, EXPLICIT_LE)
}

#[test]
fn enhanced_frames_use_functional_groups() {
    // Frames stored temporal-position-major, positions descending.
    let e = enhanced(
        &[6.0, 3.0, 0.0, 6.0, 3.0, 0.0],
        &[1, 1, 1, 2, 2, 2],
        &[2.0; 6],
    );
    let c = convert(&[e]).unwrap();
    assert_eq!(c.shape, vec![2, 2, 3, 2]);
    assert_eq!(c.geometry.kind, SeriesKind::MultiFrame);
    assert_eq!(c.scaling, [2.0, 0.0]);
    assert_eq!(c.voxel_size, vec![1.0, 1.0, 3.0, 1.5]);
    assert_eq!(c.sidecar["RepetitionTime"], 1.5);
    assert_eq!(c.sidecar["SliceThickness"], 3.0);
    let v = u16s(&parse(&c.bytes).data);
    let firsts: Vec<u16> = (0..6).map(|f| v[f * 4]).collect();
    assert_eq!(firsts, vec![2, 1, 0, 5, 4, 3]);

    // Per-frame slopes that vary: float32 with each frame's own scaling.
    let e = enhanced(&[0.0, 1.0], &[1, 1], &[1.0, 4.0]);
    let c = convert(&[e]).unwrap();
    assert_eq!(c.datatype, "float32");
    let n = parse(&c.bytes);
    let f: Vec<f32> = n
        .data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!((f[0], f[4]), (0.0, 4.0));
}

#[test]
fn frames_without_positions_are_refused_unless_asked() {
    let mut o: InMemDicomObject = (*enhanced(&[0.0, 1.0], &[1, 1], &[1.0, 1.0])).clone();
    o.remove_element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    o.remove_element(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let obj = with_meta(o, EXPLICIT_LE);
    let e = convert(std::slice::from_ref(&obj)).unwrap_err();
    assert_eq!(e.code(), "no-geometry");
    let opts = NiftiOptions {
        allow_unknown_geometry: true,
        ..nii_opts()
    };
    let c = convert_series(&[&obj], &opts).unwrap();
    let n = parse(&c.bytes);
    assert_eq!((n.dims, n.codes), (vec![2, 2, 2], [0, 0]));
    assert!(c.geometry.affine.is_none());
    assert!(c.sidecar.get("NeurofedWarning").is_some());
}

#[test]
fn series_geometry_matches_the_conversion() {
    let objs: Vec<_> = (0..4)
        .map(|k| classic(&Slice::axial(k as f64 * 2.0, k + 1, 1)))
        .collect();
    let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
    let g = series_geometry(&refs).unwrap();
    assert_eq!(g, convert(&objs).unwrap().geometry);
    assert_eq!((g.dims, g.volumes, g.frames), ([4, 3, 4], 1, 4));
    assert_eq!(g.repetition_time, Some(2.0));
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Whatever the geometry, sizes and sample format say, conversion answers, never panics.
        #[test]
        fn arbitrary_headers(
            ipp in prop::array::uniform3(-1e6f64..1e6),
            iop in prop::array::uniform6(-2.0f64..2.0),
            spacing in prop::array::uniform2(-5.0f64..5.0),
            rows in 0u16..6, cols in 0u16..6,
            bits in prop::sample::select(vec![0u16, 1, 8, 12, 16, 32, 64]),
            signed in 0u16..3,
            n_px in 0usize..80,
            slope in prop::sample::select(vec![0.0f64, 1.0, -2.5, 1e30]),
            n_slices in 1usize..4,
        ) {
            let objs: Vec<DefaultDicomObject> = (0..n_slices).map(|k| {
                let mut o = base(MR);
                put(&mut o, tags::IMAGE_POSITION_PATIENT, VR::DS, ds(&[ipp[0], ipp[1], ipp[2] + k as f64]));
                put(&mut o, tags::IMAGE_ORIENTATION_PATIENT, VR::DS, ds(&iop));
                put(&mut o, tags::PIXEL_SPACING, VR::DS, ds(&spacing));
                put(&mut o, tags::ROWS, VR::US, PrimitiveValue::from(rows));
                put(&mut o, tags::COLUMNS, VR::US, PrimitiveValue::from(cols));
                put(&mut o, tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(bits));
                put(&mut o, tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(signed));
                put(&mut o, tags::RESCALE_SLOPE, VR::DS, ds(&[slope]));
                put(&mut o, tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(vec![1u16; n_px].into()));
                with_meta(o, EXPLICIT_LE)
            }).collect();
            let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
            let _ = convert_series(&refs, &nii_opts());
            let _ = series_geometry(&refs);
        }

        /// A CSA header of random bytes is an error value.
        #[test]
        fn arbitrary_csa(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let mut b = b"SV10\x04\x03\x02\x01".to_vec();
            b.extend(bytes);
            let _ = csa::parse(&b);
        }
    }
}

#[test]
fn a_written_file_reads_back_with_its_voxels_affine_and_orientation() {
    let objs: Vec<_> = (0..5)
        .map(|k| classic(&Slice::axial(k as f64 * 2.0, k + 1, 2 * k as u16)))
        .collect();
    let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
    let plain = convert_series(&refs, &nii_opts()).unwrap();
    let gz = convert_series(&refs, &NiftiOptions::default()).unwrap();
    for c in [&plain, &gz] {
        let v = read_nifti(&c.bytes, Volumes::All).unwrap();
        assert_eq!(v.header.format, NiftiFormat::Nifti1);
        assert_eq!(v.header.dims, vec![4, 3, 5]);
        assert_eq!(v.header.affine_source, AffineSource::Sform);
        let a = c.geometry.affine.unwrap();
        for (ours, want) in v.header.affine.iter().flatten().zip(a.iter().flatten()) {
            assert!((ours - want).abs() < 1e-4);
        }
        let raw = u16s(&parse(&plain.bytes).data);
        assert_eq!(
            v.data,
            raw.iter().map(|&x| f32::from(x)).collect::<Vec<_>>()
        );
        assert_eq!(slice_count(&v, Plane::Axial), 5);
        assert_eq!(slice_count(&v, Plane::Sagittal), 4);
        assert_eq!(slice_count(&v, Plane::Coronal), 3);
        // LAS: voxel i runs to the patient's left, so the right-most display column (patient
        // right on the right) is i = 0 and the top row (anterior) is j = 2.
        for k in 0..5 {
            let s = render_slice(&v, Plane::Axial, Some(k), (0.0, 1000.0), 512).unwrap();
            // 4 x 1.5 mm by 3 x 2 mm: square pixels of 1.5 mm make it 4 x 4.
            assert_eq!((s.width, s.height), (4, 4));
            let at = |i: usize, j: usize| v.data[i + 4 * j + 12 * k];
            let g = |val: f32| (val / 1000.0 * 255.0) as u8;
            assert_eq!(s.pixels[0], g(at(3, 2)), "top left of slice {k}");
            assert_eq!(s.pixels[3], g(at(0, 2)), "top right of slice {k}");
            assert_eq!(s.pixels[15], g(at(0, 0)), "bottom right of slice {k}");
        }
        assert!(render_slice(&v, Plane::Axial, Some(5), (0.0, 1.0), 512).is_err());
        // Only the first volume when asked.
        let first = read_nifti(&c.bytes, Volumes::First).unwrap();
        assert_eq!(first.data.len(), 60);
    }
    // Truncated and garbage input: errors, not panics.
    for cut in [0, 10, 347, 351, 400, plain.bytes.len() - 1] {
        assert!(
            read_nifti(&plain.bytes[..cut], Volumes::All).is_err(),
            "cut {cut}"
        );
    }
    assert!(read_nifti(&gz.bytes[..gz.bytes.len() / 2], Volumes::All).is_err());
    let mut bad = plain.bytes.clone();
    bad[40..42].copy_from_slice(&9i16.to_le_bytes());
    assert!(read_nifti(&bad, Volumes::All).is_err());
}
