//! Made-up survey files for demos and tests: photos that are JPEGs by their content (signature and
//! an EXIF segment), of any size, different for each seed.

use std::path::Path;

/// A JPEG of `len` bytes (at least its 20-byte header): SOI, an APP1 `Exif` segment, then bytes
/// that differ with `seed`.
pub fn fake_photo(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x0E, b'E', b'x', b'i', b'f', 0, 0,
    ];
    v.extend_from_slice(&seed.to_be_bytes());
    v.extend_from_slice(&[0xFF, 0xDA]);
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len.max(22));
    v
}

/// Writes `n` photos `DJI_0001.JPG`… of `len` bytes into `dir`.
pub fn write_photos(dir: &Path, n: usize, len: usize) {
    std::fs::create_dir_all(dir).expect("create the photo folder");
    for i in 1..=n {
        std::fs::write(
            dir.join(format!("DJI_{i:04}.JPG")),
            fake_photo(i as u64, len),
        )
        .expect("write a photo");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fake_photos_are_photos_with_exif_and_differ() {
        let d = tempfile::tempdir().unwrap();
        super::write_photos(d.path(), 3, 1000);
        let ds = terradesk_core::dataset::scan(d.path()).unwrap();
        assert_eq!(
            (ds.photos, ds.photos_without_exif, ds.total_bytes),
            (3, 0, 3000)
        );
        assert_ne!(super::fake_photo(1, 100), super::fake_photo(2, 100));
    }
}
