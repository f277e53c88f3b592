#!/usr/bin/env python3
"""Compare our NIfTI with dcm2niix's for the same series, through nibabel.

usage: compare-nifti.py OURS.nii[.gz] THEIRS.nii[.gz] [OURS THEIRS ...] [--tol MM] [--label NAME]

Both images are brought to their closest canonical (RAS+) orientation, then compared on:
  - shape (trailing singleton dimensions ignored),
  - affine (max absolute difference, mm; must be <= --tol, default 1e-3),
  - voxel values after each file's own scl_slope/scl_inter (must be identical).
Also: qform_code and sform_code must be the same in both files. Prints one JSON line per pair;
exits 0 when every pair matches, 1 on any mismatch, 2 on a usage error. Several pairs in one call
spare the start-up of Python and nibabel.
"""
import argparse
import json
import sys

import nibabel as nib
import numpy as np


def squeeze_trailing(shape):
    shape = list(shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape.pop()
    return tuple(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", help="OURS THEIRS pairs")
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    if len(a.files) % 2:
        ap.error("files come in OURS THEIRS pairs")
    failures = 0
    for i in range(0, len(a.files), 2):
        failures += compare(a.files[i], a.files[i + 1], a.tol, a.label)
    return 1 if failures else 0


def compare(ours_path, theirs_path, tol, label):
    """Print one JSON line; 0 when the pair matches, 1 otherwise."""
    out = {"label": label, "ours": ours_path, "theirs": theirs_path}
    try:
        ours_raw, theirs_raw = nib.load(ours_path), nib.load(theirs_path)
        ours = nib.as_closest_canonical(ours_raw)
        theirs = nib.as_closest_canonical(theirs_raw)
    except Exception as e:  # noqa: BLE001 - report any load failure as a mismatch
        out.update(ok=False, error=f"load: {e}")
        print(json.dumps(out), flush=True)
        return 1
    s_ours, s_theirs = squeeze_trailing(ours.shape), squeeze_trailing(theirs.shape)
    out["shape_ours"], out["shape_theirs"] = list(s_ours), list(s_theirs)
    out["axcodes_ours"] = "".join(nib.aff2axcodes(ours_raw.affine))
    out["axcodes_theirs"] = "".join(nib.aff2axcodes(theirs_raw.affine))
    out["dtype_ours"] = str(ours.get_data_dtype())
    out["dtype_theirs"] = str(theirs.get_data_dtype())
    codes = lambda img: [int(img.header["qform_code"]), int(img.header["sform_code"])]  # noqa: E731
    out["qform_sform_ours"], out["qform_sform_theirs"] = codes(ours_raw), codes(theirs_raw)
    ok = True
    if out["qform_sform_ours"] != out["qform_sform_theirs"]:
        ok = False
    if s_ours != s_theirs:
        out["shape_match"] = False
        ok = False
    else:
        out["shape_match"] = True
    diff = float(np.max(np.abs(ours.affine - theirs.affine)))
    out["affine_max_abs_diff_mm"] = diff
    if not diff <= tol:
        ok = False
    # qform and sform of our file must agree with each other (up to the float32 storage).
    q, s = ours_raw.header.get_qform(), ours_raw.header.get_sform()
    if out["qform_sform_ours"] == [1, 1]:
        out["ours_qform_vs_sform_mm"] = float(np.max(np.abs(q - s)))
    if out["shape_match"]:
        vo = np.asanyarray(ours.dataobj, dtype=np.float64).reshape(s_ours)
        vt = np.asanyarray(theirs.dataobj, dtype=np.float64).reshape(s_theirs)
        same = bool(np.array_equal(vo, vt))
        out["voxels_identical"] = same
        if not same:
            d = np.abs(vo - vt)
            out["voxels_max_abs_diff"] = float(np.nanmax(d))
            out["voxels_differing"] = int(np.count_nonzero(d))
            ok = False
        out["voxels_nonzero"] = int(np.count_nonzero(vo))
    out["ok"] = ok
    print(json.dumps(out), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
