//! The NIfTI / Analyze reader against nibabel, the reference reader of the field: for every NIfTI
//! file of the reference corpus (big-endian, gzip, NIfTI-2, 4-D) and for files nibabel writes
//! here (Analyze 7.5 pairs, NIfTI-1 and -2 pairs, no orientation codes, float64, uint8, scaled,
//! reoriented), shape, affine and every voxel of the first volume must agree. And orientation:
//! a volume and its copy with axes permuted and flipped (same world image) render the same
//! axial, coronal and sagittal slices, pixel for pixel. Needs python3 with nibabel and numpy
//! (`scripts/setup` installs them) and the shared reference corpus.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use dicom::{
    display_range, read_nifti, read_nifti_pair, render_slice, NiftiVolume, Plane, Volumes,
};

const SCRIPT: &str = r#"
import sys, os, numpy as np, nibabel as nib
src, out = sys.argv[1], sys.argv[2]
files = []
for root, _, names in os.walk(src):
    for n in sorted(names):
        if n.endswith('.nii') or n.endswith('.nii.gz'):
            files.append(os.path.join(root, n))
rng = np.random.default_rng(7)
base = nib.load(os.path.join(src, 'nibabel', 'tests', 'anatomical.nii'))
data = np.asarray(base.dataobj).astype(np.float32)
made = []
def put(name, img):
    p = os.path.join(out, name)
    nib.save(img, p)
    made.append(p)
put('analyze.hdr', nib.AnalyzeImage(data.astype(np.int16), np.eye(4)))
put('pair1.hdr', nib.Nifti1Pair(data, base.affine))
put('pair2.hdr', nib.Nifti2Pair(data.astype(np.float64), base.affine))
put('u8.nii.gz', nib.Nifti1Image((data % 256).astype(np.uint8), base.affine))
h = nib.Nifti1Header(); h.set_data_dtype(np.int16)
img = nib.Nifti1Image(data.astype(np.int16), None, h); img.set_qform(None, code=0); img.set_sform(None, code=0)
put('nocodes.nii', img)
qonly = nib.Nifti1Image(data.astype(np.int16), base.affine); qonly.set_sform(None, code=0); qonly.set_qform(base.affine, code=1)
put('qform_only.nii', qonly)
scaled = nib.Nifti1Image(data.astype(np.int16), base.affine); scaled.header.set_slope_inter(0.5, -3.0)
put('scaled.nii', scaled)
ornt = np.array([[1, -1], [2, 1], [0, -1]])
put('reoriented.nii', base.as_reoriented(ornt))
with open(os.path.join(out, 'list.tsv'), 'w') as f:
    for i, p in enumerate(files + made):
        img = nib.load(p)
        vol = np.asanyarray(img.dataobj, dtype=np.float64)
        if vol.ndim > 3:
            vol = vol.reshape(vol.shape[:3] + (-1,))[..., 0]
        dump = os.path.join(out, 'vox%d.f32' % i)
        vol.astype('<f4').ravel(order='F').tofile(dump)
        aff = ','.join(repr(float(v)) for v in img.affine[:3].ravel())
        shape = ','.join(str(int(d)) for d in img.shape)
        f.write('%s\t%s\t%s\t%s\n' % (p, shape, aff, dump))
"#;

fn read_any(p: &Path) -> NiftiVolume {
    let bytes = std::fs::read(p).unwrap();
    let name = p.to_string_lossy();
    if name.ends_with(".hdr") {
        let img = std::fs::read(p.with_extension("img")).unwrap();
        read_nifti_pair(&bytes, &img, Volumes::First).unwrap()
    } else {
        read_nifti(&bytes, Volumes::First).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

#[test]
fn reader_agrees_with_nibabel() {
    testkit::need_shared!();
    testkit::need_tool!("python3", ["-c", "import nibabel, numpy"]);
    let corpus = testkit::reference_corpus();
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&corpus)
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = std::fs::read_to_string(tmp.path().join("list.tsv")).unwrap();
    let mut checked = 0;
    let mut by_name = std::collections::BTreeMap::new();
    for line in list.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let path = PathBuf::from(f[0]);
        let v = read_any(&path);
        let shape: Vec<usize> = f[1].split(',').map(|d| d.parse().unwrap()).collect();
        let mut dims = v.header.dims.clone();
        dims.truncate(shape.len());
        assert_eq!(dims, shape, "{}: shape", f[0]);
        let aff: Vec<f64> = f[2].split(',').map(|d| d.parse().unwrap()).collect();
        for r in 0..3 {
            for c in 0..4 {
                let (ours, theirs) = (v.header.affine[r][c], aff[4 * r + c]);
                assert!(
                    (ours - theirs).abs() < 1e-3 * (1.0 + theirs.abs()),
                    "{}: affine[{r}][{c}] {ours} vs nibabel {theirs} ({:?})",
                    f[0],
                    v.header.affine_source
                );
            }
        }
        let want: Vec<f32> = std::fs::read(f[3])
            .unwrap()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(v.data.len(), want.len(), "{}: voxel count", f[0]);
        for (n, (a, b)) in v.data.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                "{}: voxel {n}: {a} vs nibabel {b}",
                f[0]
            );
        }
        checked += 1;
        by_name.insert(path.file_name().unwrap().to_string_lossy().into_owned(), v);
    }
    assert!(checked >= 13, "only {checked} files checked");

    // Orientation: the reoriented copy is the same world image, so every plane renders the
    // same pixels (the window is taken from the original for both).
    let a = &by_name["anatomical.nii"];
    let b = &by_name["reoriented.nii"];
    assert_ne!(
        a.header.dims, b.header.dims,
        "the copy must permute the axes"
    );
    let range = display_range(a);
    for plane in [Plane::Axial, Plane::Coronal, Plane::Sagittal] {
        for index in [None, Some(0), Some(3)] {
            let sa = render_slice(a, plane, index, range, 512).unwrap();
            let sb = render_slice(b, plane, index, range, 512).unwrap();
            assert_eq!(
                (sa.width, sa.height),
                (sb.width, sb.height),
                "{plane:?} {index:?}"
            );
            assert!(sa.pixels == sb.pixels, "{plane:?} slice {index:?} differs");
            assert!(sa.pixels.iter().any(|&p| p > 0), "{plane:?}: blank");
        }
    }
}
