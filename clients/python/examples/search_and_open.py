#!/usr/bin/env python3
"""Search a neurofed node and open one dataset with nibabel.

Logs in (``POST /api/v1/login`` with a user name and password: the session cookie is kept by the
client) or uses an API token, searches (``GET /api/v1/search``, by default ``nature:T1w``),
downloads the first hit that has a NIfTI expression as a zip
(``GET /api/v1/datasets/{id}/download?format=nifti``), opens the ``.nii.gz`` in it with nibabel
and prints its shape and affine::

    python3 clients/python/examples/search_and_open.py --url http://127.0.0.1:8080 \\
        --user alice --password '...'
    python3 clients/python/examples/search_and_open.py --url ... --token nft_...

Exit status: 0 when a dataset was opened, 1 when the node refused or found nothing (the reason
is printed on stderr), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import zipfile
from pathlib import Path

# Run from a checkout without installing the package: clients/python is its root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nibabel as nib  # noqa: E402

from neurofed_client import AuthenticatedClient, Client  # noqa: E402
from neurofed_client.api.accounts import login  # noqa: E402
from neurofed_client.api.datasets import download_dataset  # noqa: E402
from neurofed_client.api.search import search  # noqa: E402
from neurofed_client.models import ErrorBody, LoginRequest, SearchBody  # noqa: E402
from neurofed_client.types import Response  # noqa: E402


def fail(what: str, response: Response) -> int:
    """Print the server's explanation of a refusal, not only its status code."""
    parsed = response.parsed
    if isinstance(parsed, ErrorBody):
        why = f"{parsed.error.code}: {parsed.error.message}"
    else:
        why = response.content.decode("utf-8", "replace")[:500]
    print(f"{what}: HTTP {int(response.status_code)} {why}", file=sys.stderr)
    return 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the node, e.g. http://127.0.0.1:8080")
    p.add_argument("--user", help="login name (with --password)")
    p.add_argument("--password", help="password (with --user)")
    p.add_argument("--token", help="an API token (nft_...) instead of --user/--password")
    p.add_argument(
        "--filter",
        action="append",
        help="a search filter, repeatable (default: nature:T1w)",
    )
    p.add_argument("--query", help="free text")
    a = p.parse_args()
    if not a.token and not (a.user and a.password):
        p.error("give --token, or --user and --password")

    client: Client | AuthenticatedClient
    if a.token:
        client = AuthenticatedClient(base_url=a.url, token=a.token)
    else:
        client = Client(base_url=a.url)
        r = login.sync_detailed(client=client, body=LoginRequest(name=a.user, password=a.password))
        if r.status_code != 200:
            return fail("login", r)
        print(f"logged in as {r.parsed.user.name}")

    filters = a.filter or ["nature:T1w"]
    kwargs = {"q": a.query} if a.query else {}
    r = search.sync_detailed(client=client, filter_=filters, limit=100, **kwargs)
    if r.status_code != 200 or not isinstance(r.parsed, SearchBody):
        return fail("search", r)
    found = r.parsed
    print(f"search {' '.join(filters)}: {found.total} datasets")
    for p_ in found.pending_agreements:
        print(
            f"  not searched: study {p_.study_name!r} until you accept its data-use agreement "
            f"(version {p_.version})"
        )
    hit = next((h for h in found.hits if h.has_nifti), None)
    if hit is None:
        print("no hit has a NIfTI expression", file=sys.stderr)
        return 1
    print(f"dataset {hit.dataset} ({hit.study.name}, subject {hit.subject}, {hit.modality})")

    r = download_dataset.sync_detailed(hit.dataset, client=client, format_="nifti")
    if r.status_code != 200:
        return fail("download", r)
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        images = [n for n in z.namelist() if n.endswith((".nii.gz", ".nii"))]
        if len(images) != 1:
            print(f"expected one image in the zip, got {z.namelist()}", file=sys.stderr)
            return 1
        name = images[0]
        data = z.read(name)
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    img = nib.Nifti1Image.from_bytes(data)
    print(f"file {name}")
    print(f"shape {' '.join(str(n) for n in img.shape)}")
    print("affine")
    for row in img.affine:
        print("  " + " ".join(f"{v:.4f}" for v in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
