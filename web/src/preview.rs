//! `GET /datasets/{id}/preview.png?plane=axial|coronal|sagittal&slice=N&size=S`: a slice of a
//! dataset as an 8-bit PNG, rendered on the server so that the portal shows the image without
//! a download.
//!
//! From the NIfTI expression when there is one (any plane, oriented by its affine, robust
//! window: `dicom::render_slice`); otherwise from the DICOM pixels of the N-th instance (the
//! acquisition plane only, the stored window: DICOMweb's `/rendered`). The same rights as
//! DICOMweb's rendered frames and the API's downloads: the study's download right (403 naming
//! the study otherwise, as the API answers). Every preview is audited as a view.
//!
//! Decoded volumes and rendered PNGs are cached in memory by content id (a blob never changes,
//! so nothing goes stale), within a byte budget each; the answer carries the slice count
//! (`X-Slice-Count`) so a page can offer the whole range.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use dicom::{NiftiVolume, Plane, Volumes};
use node::{AuditAction, DatasetRow, NewEvent};
use protocol::id::DatasetId;
use protocol::ContentId;

use crate::api::datasets::row_or_404;
use crate::api::{PathParams, QueryParams};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::{blocking, now, AppState};

/// Default longest side of a preview, in pixels.
pub(crate) const DEFAULT_SIZE: usize = 384;
/// Largest longest side a caller may ask for.
pub(crate) const MAX_SIZE: usize = 1024;

/// Decoded first volumes kept in memory, in bytes of voxels.
const VOLUME_BUDGET: usize = 256 << 20;
/// Rendered PNGs kept in memory, in bytes.
const PNG_BUDGET: usize = 32 << 20;

/// A small least-recently-used cache within a byte budget.
struct Lru<K, V> {
    items: VecDeque<(K, V, usize)>,
    bytes: usize,
    budget: usize,
}

impl<K: PartialEq, V: Clone> Lru<K, V> {
    const fn new(budget: usize) -> Self {
        Lru {
            items: VecDeque::new(),
            bytes: 0,
            budget,
        }
    }

    fn get(&mut self, k: &K) -> Option<V> {
        let i = self.items.iter().position(|(key, _, _)| key == k)?;
        let item = self.items.remove(i)?;
        let v = item.1.clone();
        self.items.push_front(item);
        Some(v)
    }

    fn put(&mut self, k: K, v: V, size: usize) {
        if size > self.budget {
            return;
        }
        self.items.retain(|(key, _, _)| key != &k);
        self.bytes = self.items.iter().map(|i| i.2).sum::<usize>() + size;
        self.items.push_front((k, v, size));
        while self.bytes > self.budget {
            match self.items.pop_back() {
                Some((_, _, s)) => self.bytes -= s,
                None => break,
            }
        }
    }
}

type Volume = Arc<(NiftiVolume, (f32, f32))>;
type PngKey = (ContentId, Plane, usize, usize);

fn volumes() -> &'static Mutex<Lru<ContentId, Volume>> {
    static V: OnceLock<Mutex<Lru<ContentId, Volume>>> = OnceLock::new();
    V.get_or_init(|| Mutex::new(Lru::new(VOLUME_BUDGET)))
}

fn pngs() -> &'static Mutex<Lru<PngKey, Arc<Vec<u8>>>> {
    static P: OnceLock<Mutex<Lru<PngKey, Arc<Vec<u8>>>>> = OnceLock::new();
    P.get_or_init(|| Mutex::new(Lru::new(PNG_BUDGET)))
}

/// The first volume of a NIfTI blob and its display range, from the cache or read.
fn volume(st: &AppState, id: &ContentId) -> ApiResult<Volume> {
    if let Some(v) = volumes().lock().ok().and_then(|mut c| c.get(id)) {
        return Ok(v);
    }
    let bytes = st.node.store.read_verified(id)?;
    let vol = dicom::read_nifti(&bytes, Volumes::First)
        .map_err(|e| ApiError::internal(format!("stored NIfTI {id}: {e}")))?;
    let range = dicom::display_range(&vol);
    let size = vol.data.len() * 4;
    let v: Volume = Arc::new((vol, range));
    if let Ok(mut c) = volumes().lock() {
        c.put(*id, v.clone(), size);
    }
    Ok(v)
}

struct Rendered {
    png: Arc<Vec<u8>>,
    slices: usize,
}

fn render(
    st: &AppState,
    row: &DatasetRow,
    plane: Plane,
    slice: Option<usize>,
    size: usize,
) -> ApiResult<Rendered> {
    if let Some(n) = &row.dataset.nifti {
        let v = volume(st, &n.nifti)?;
        let slices = dicom::slice_count(&v.0, plane);
        let index = slice.unwrap_or(slices / 2);
        let key = (n.nifti, plane, index, size);
        if let Some(png) = pngs().lock().ok().and_then(|mut c| c.get(&key)) {
            return Ok(Rendered { png, slices });
        }
        let g = dicom::render_slice(&v.0, plane, Some(index), v.1, size)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let png = Arc::new(crate::dicomweb::encode_png(&g.pixels, g.width, g.height));
        if let Ok(mut c) = pngs().lock() {
            c.put(key, png.clone(), png.len());
        }
        return Ok(Rendered { png, slices });
    }
    if plane != Plane::Axial {
        return Err(ApiError::not_found(format!(
            "dataset {} has no NIfTI volume: only its acquisition plane (plane=axial) is shown",
            row.dataset.id
        )));
    }
    let mut entries = crate::dicomweb::manifest(st, row)?.instances;
    entries.sort_by_key(|e| e.instance_number);
    let slices = entries.len();
    let index = slice.unwrap_or(slices / 2);
    let e = entries.get(index).ok_or_else(|| {
        ApiError::bad_request(format!(
            "slice {index} out of range (0 to {})",
            slices.saturating_sub(1)
        ))
    })?;
    let inst = crate::dicomweb::read_instance(st, e)?;
    let png = crate::dicomweb::render_png(&inst.obj).map_err(|why| {
        ApiError::not_found(format!("no preview of dataset {}: {why}", row.dataset.id))
    })?;
    Ok(Rendered {
        png: Arc::new(png),
        slices,
    })
}

/// `GET /datasets/{id}/preview.png`.
pub(crate) async fn preview(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    let id: DatasetId = path.id(0)?;
    q.allow(&["plane", "slice", "size"])?;
    let plane = match q.one("plane")? {
        None => Plane::Axial,
        Some(p) => Plane::parse(p).ok_or_else(|| {
            ApiError::bad_request("plane must be axial, coronal or sagittal".to_string())
        })?,
    };
    let slice = match q.one("slice")? {
        None => None,
        Some(_) => Some(q.number("slice", 0, u32::MAX as u64)? as usize),
    };
    let size = q
        .number("size", DEFAULT_SIZE as u64, MAX_SIZE as u64)?
        .max(16) as usize;
    let out = blocking(move || {
        let row = row_or_404(&st.node.catalog, id)?;
        crate::api::download::require_download(&st, &auth, &row, now())?;
        let r = render(&st, &row, plane, slice, size)?;
        st.node.catalog.audit().append(
            NewEvent::new(auth.who(), AuditAction::View, now())
                .study(row.study.id)
                .dataset(row.dataset.id)
                .detail(format!(
                    "preview {} {}",
                    plane.name(),
                    slice.map_or("middle".to_string(), |s| s.to_string())
                )),
        )?;
        Ok(r)
    })
    .await?;
    let mut resp = out.png.to_vec().into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    h.insert("x-slice-count", HeaderValue::from(out.slices));
    Ok(resp)
}

/// How many slices dataset `id` has in `plane`, if `auth` may see its pictures (the download
/// right, as the previews themselves): for the portal's slice pages.
pub(crate) async fn slice_count(
    st: &AppState,
    auth: &Auth,
    id: DatasetId,
    plane: Plane,
) -> ApiResult<usize> {
    let (st, auth) = (st.clone(), auth.clone());
    blocking(move || {
        let row = row_or_404(&st.node.catalog, id)?;
        crate::api::download::require_download(&st, &auth, &row, now())?;
        if let Some(n) = &row.dataset.nifti {
            let v = volume(&st, &n.nifti)?;
            return Ok(dicom::slice_count(&v.0, plane));
        }
        if plane != Plane::Axial {
            return Err(ApiError::not_found(format!(
                "dataset {} has no NIfTI volume: only its acquisition plane (plane=axial) is shown",
                row.dataset.id
            )));
        }
        Ok(row.dataset.dicom.instances as usize)
    })
    .await
}
