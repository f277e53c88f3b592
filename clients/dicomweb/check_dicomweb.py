#!/usr/bin/env python3
"""DICOMweb of a neurofed node as `dicomweb-client` (PyPI) sees it, checked against the files of
`neurofed export --format dicom` of the same node.

Usage: check_dicomweb.py URL TOKEN EXPORT_DIR STOW_FILE STOW_STUDY

QIDO-RS: every study/series/instance of the export is found (by the UIDs read from the exported
files with pydicom), PatientID is the pseudonym, matching by PatientID, Modality, StudyDate
range and SeriesDescription wildcard gives what the export says. WADO-RS: every series
retrieved is byte-for-byte the exported files; /metadata has one item per instance with the same
SOPInstanceUID; frame 1 has Rows*Columns*BitsAllocated/8 bytes. STOW-RS: STOW_FILE is stored into
study STOW_STUDY and then found by QIDO. Prints `ok ...` lines; any mismatch raises.
"""

import fnmatch
import io
import pathlib
import sys
from collections import defaultdict

import pydicom
from dicomweb_client.api import DICOMwebClient


def main() -> None:
    url, token, export_dir, stow_file, stow_study = sys.argv[1:6]
    client = DICOMwebClient(url=url, headers={"Authorization": f"Bearer {token}"})

    # The export, read back: files by study and series UID.
    files = defaultdict(lambda: defaultdict(dict))
    meta = {}
    for p in sorted(pathlib.Path(export_dir).rglob("*.dcm")):
        raw = p.read_bytes()
        ds = pydicom.dcmread(io.BytesIO(raw), stop_before_pixels=True)
        files[ds.StudyInstanceUID][ds.SeriesInstanceUID][ds.SOPInstanceUID] = raw
        meta[ds.SeriesInstanceUID] = ds
    assert files, "the export holds no DICOM file"

    studies = client.search_for_studies()
    found = {s["0020000D"]["Value"][0]: s for s in studies}
    assert set(found) == set(files), (sorted(found), sorted(files))
    for uid, series in files.items():
        s = found[uid]
        one = next(iter(meta[k] for k in series))
        assert s["00100020"]["Value"][0] == one.PatientID, (s, one.PatientID)
        assert s["00201206"]["Value"][0] == len(series)
        assert s["00201208"]["Value"][0] == sum(len(v) for v in series.values())
    print(f"ok qido studies {len(studies)}")

    # Matching keys, each checked against what the export says.
    pid = next(iter(meta.values())).PatientID
    got = {s["0020000D"]["Value"][0] for s in client.search_for_studies(search_filters={"PatientID": pid})}
    want = {d.StudyInstanceUID for d in meta.values() if d.PatientID == pid}
    assert got == want, (got, want)
    date = next(iter(meta.values())).StudyDate
    got = {s["0020000D"]["Value"][0] for s in client.search_for_studies(search_filters={"StudyDate": f"{date}-{date}"})}
    want = {d.StudyInstanceUID for d in meta.values() if d.StudyDate == date}
    assert got == want, (got, want)
    desc = next(d.SeriesDescription for d in meta.values() if d.get("SeriesDescription"))
    pattern = desc[:2] + "*"
    got = {s["0020000E"]["Value"][0] for s in client.search_for_series(search_filters={"SeriesDescription": pattern, "Modality": "MR"})}
    want = {k for k, d in meta.items() if fnmatch.fnmatchcase(d.get("SeriesDescription", ""), pattern) and d.Modality == "MR"}
    assert got == want, (got, want)
    page = client.search_for_series(limit=2, offset=1)
    full = client.search_for_series()
    assert page == full[1:3]
    print("ok qido matching PatientID StudyDate SeriesDescription Modality limit offset")

    n_instances = 0
    for study_uid, series in files.items():
        for series_uid, instances in series.items():
            listed = client.search_for_instances(study_instance_uid=study_uid, series_instance_uid=series_uid)
            assert {i["00080018"]["Value"][0] for i in listed} == set(instances)
            retrieved = client.retrieve_series(study_uid, series_uid)
            assert len(retrieved) == len(instances)
            for ds in retrieved:
                buf = io.BytesIO()
                ds.save_as(buf, enforce_file_format=True)
                sop = ds.SOPInstanceUID
                assert sop in instances
                # The parsed dataset is what the exported file parses to.
                assert ds == pydicom.dcmread(io.BytesIO(instances[sop])), sop
            md = client.retrieve_series_metadata(study_uid, series_uid)
            assert sorted(m["00080018"]["Value"][0] for m in md) == sorted(instances)
            n_instances += len(instances)
    print(f"ok wado series {sum(len(s) for s in files.values())} instances {n_instances}")

    study_uid, series = next(iter(files.items()))
    series_uid, instances = next(iter(series.items()))
    sop, raw = next(iter(instances.items()))
    ds = pydicom.dcmread(io.BytesIO(raw))
    inst = client.retrieve_instance(study_uid, series_uid, sop)
    assert inst.SOPInstanceUID == sop and inst.PixelData == ds.PixelData
    frames = client.retrieve_instance_frames(study_uid, series_uid, sop, frame_numbers=[1])
    assert len(frames) == 1 and frames[0] == ds.PixelData[: ds.Rows * ds.Columns * ds.BitsAllocated // 8]
    print("ok wado instance and frames")

    # STOW-RS into a study, then found de-identified by QIDO.
    stow = pydicom.dcmread(stow_file)
    before = len(client.search_for_instances())
    # The target neurofed study is the `study` query parameter of POST /dicom-web/studies.
    result = client.store_instances([stow], additional_params={"study": stow_study})
    assert "00081198" not in result, result
    after = client.search_for_instances()
    assert len(after) == before + 1, (before, len(after))
    assert all(i["00080018"]["Value"][0] != stow.SOPInstanceUID for i in after), "the stored UID is de-identified"
    print("ok stow 1 instance")


if __name__ == "__main__":
    main()
