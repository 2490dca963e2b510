//! Whether a dataset fits a kind of job (DJI's limits, terra-api.md §4), and which kind its
//! content suggests.

use super::params::JobKind;
use crate::dataset::Dataset;
use crate::Error;

pub const MIN_PHOTOS: u32 = 10;
pub const MAX_PHOTOS_2D: u32 = 4_000;
pub const MAX_PHOTOS_3D: u32 = 20_000;
pub const MAX_LIDAR_BYTES: u64 = 48 * 1_000_000_000;

/// Why `ds` does not fit `kind`; empty when it fits.
pub fn dataset_problems(kind: JobKind, ds: &Dataset) -> Vec<Error> {
    let mut p = Vec::new();
    if ds.files.is_empty() {
        p.push(Error::NoFiles { path: ds.root.clone(), skipped: ds.skipped.len() as u32 });
        return p;
    }
    match kind {
        JobKind::Map2d | JobKind::Model3d => {
            if ds.photos < MIN_PHOTOS {
                p.push(Error::TooFewPhotos { kind, photos: ds.photos, min: MIN_PHOTOS });
            }
            let max = if kind == JobKind::Map2d { MAX_PHOTOS_2D } else { MAX_PHOTOS_3D };
            if ds.photos > max {
                p.push(Error::TooManyPhotos { kind, photos: ds.photos, max });
            }
        }
        JobKind::Lidar => {
            if ds.lidar_files == 0 {
                p.push(Error::NoLidar);
            }
            if ds.total_bytes > MAX_LIDAR_BYTES {
                p.push(Error::LidarTooLarge { bytes: ds.total_bytes, max: MAX_LIDAR_BYTES });
            }
        }
    }
    p
}

/// The first reason `ds` does not fit `kind`, as an error.
pub fn check(kind: JobKind, ds: &Dataset) -> crate::Result<()> {
    match dataset_problems(kind, ds).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The kind the content suggests.
pub fn suggest_kind(ds: &Dataset) -> Option<JobKind> {
    if ds.lidar_files > 0 {
        Some(JobKind::Lidar)
    } else if ds.photos >= MIN_PHOTOS {
        Some(if ds.photos > MAX_PHOTOS_2D { JobKind::Model3d } else { JobKind::Map2d })
    } else {
        None
    }
}
