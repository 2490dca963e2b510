//! A finished job's result: its untrusted file names, the download, the Terra layout and the ZIP
//! DJI Terra desktop imports.

pub mod download;
pub mod export;
pub mod layout;
pub mod names;

pub use download::{DownloadOptions, DownloadReport, Downloader};
pub use export::{default_zip_name, export_terra_zip, ExportReport};
pub use names::{selected, RefusedFile};
