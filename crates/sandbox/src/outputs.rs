//! Results of finished sandbox jobs: small files in the Terra layout of the job's kind
//! (terra-api.md §6), generated from the job's input and plainly marked as sandbox output.

use crate::model::{new_uuid, Op, ResourceRec, State, BUCKET};
use md5::{Digest, Md5};
use terradesk_core::dataset::FileKind;
use std::time::SystemTime;

/// The object key of a file whose download redirects to another host: `redirect:URL`.
pub const REDIRECT_ELSEWHERE: &str = "redirect:";

/// The object key of a generated file: `generated:SIZE:SEED`.
pub const GENERATED: &str = "generated:";

/// The bytes of a generated file from `offset`, into `buf`: each 8-byte word is splitmix64 of
/// the seed and its index, so any range is quick to make and to check.
pub fn generated_bytes(seed: u64, offset: u64, buf: &mut [u8]) {
    let mut pos = offset;
    let mut i = 0;
    while i < buf.len() {
        let word = pos / 8;
        let bytes = splitmix64(seed.wrapping_add(word)).to_le_bytes();
        let from = (pos % 8) as usize;
        let n = (8 - from).min(buf.len() - i);
        buf[i..i + n].copy_from_slice(&bytes[from..from + n]);
        i += n;
        pos += n as u64;
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub const MARK: &str = "TerraDesk sandbox output: not a real reconstruction";

/// The names a result of `kind` (14, 15, 13) holds, with their bytes.
pub fn files_for(kind: i64, job_name: &str, inputs: &[(String, u64)]) -> Vec<(String, Vec<u8>)> {
    let photos: Vec<&(String, u64)> = inputs.iter().filter(|(n, _)| is_photo(n)).collect();
    let mission = serde_json::json!({
        "generator": MARK,
        "name": job_name,
        "kind": match kind { 14 => "2d", 15 => "3d", 13 => "lidar", _ => "unknown" },
        "inputFiles": inputs.len(),
        "inputPhotos": photos.len(),
        "inputBytes": inputs.iter().map(|(_, s)| s).sum::<u64>(),
        "inputs": inputs.iter().map(|(n, _)| n).collect::<Vec<_>>(),
    });
    let at = serde_json::json!({
        "generator": MARK,
        "cameras": photos.iter().enumerate().map(|(i, (n, _))| serde_json::json!({
            "image": n, "x": (i % 10) as f64 * 12.5, "y": (i / 10) as f64 * 12.5, "z": 120.0
        })).collect::<Vec<_>>(),
    });
    let mut out = vec![
        ("mission.json".to_string(), serde_json::to_vec_pretty(&mission).unwrap()),
        ("AT/at_result.json".to_string(), serde_json::to_vec_pretty(&at).unwrap()),
        ("AT/README.txt".to_string(), format!("{MARK}\nAerotriangulation of {} photos.\n", photos.len()).into_bytes()),
    ];
    let seed = inputs.iter().fold(17u64, |h, (n, s)| h.wrapping_mul(31).wrapping_add(*s).wrapping_add(n.len() as u64));
    match kind {
        14 => {
            out.push(("map/result.tif".into(), tiff_rgb(16, 16, seed)));
            out.push(("map/dsm.tif".into(), tiff_rgb(16, 16, seed ^ 0xdead)));
            out.push(("map/result.tfw".into(), b"0.05\n0\n0\n-0.05\n500000\n4000000\n".to_vec()));
            out.push(("images/thumbnails.txt".into(), photo_list(&photos)));
        }
        15 => {
            out.push(("models/pc/0/terra_obj/Block/Block.obj".into(), obj_cube(photos.len())));
            out.push(("models/pc/0/terra_b3dm/tileset.json".into(), tileset_json("0.b3dm")));
            out.push(("models/pc/0/terra_b3dm/0.b3dm".into(), b3dm_stub(seed)));
            out.push(("images/thumbnails.txt".into(), photo_list(&photos)));
        }
        _ => {
            let points = (inputs.iter().map(|(_, s)| s).sum::<u64>() / 1024).clamp(16, 4096) as u32;
            out.push(("lidars/terra_las/cloud_merged.las".into(), las_points(points, seed)));
            out.push(("lidars/terra_pnts/tileset.json".into(), tileset_json("0.pnts")));
        }
    }
    out
}

/// Names a malicious server could send.
pub const HOSTILE_NAMES: &[&str] = &[
    "../evil.txt",
    "/tmp/terradesk-evil-absolute.txt",
    "C:\\evil.txt",
    "map/../../evil2.txt",
    "MISSION.JSON",
    "AT\\..\\..\\evil3.txt",
    "map/what?.tif",
    "map/aux.tif",
    "map/trailing. ",
    // Longer than any file system allows for one name (255 bytes).
    "map/very-long-name-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.tif",
];

pub fn is_photo(name: &str) -> bool {
    FileKind::of(name) == FileKind::Photo
}

pub fn is_lidar(name: &str) -> bool {
    FileKind::of(name) == FileKind::Lidar
}

/// Write a finished job's result into storage and record it as the job's output resource.
pub fn generate(state: &mut State, job_uuid: &str) -> std::io::Result<()> {
    let job = state.jobs.get(job_uuid).cloned().expect("job exists");
    let inputs: Vec<(String, u64)> = job
        .resource_uuid
        .as_ref()
        .and_then(|r| state.resources.get(r))
        .map(|r| r.files.iter().filter_map(|f| state.files.get(f)).map(|f| (f.name.clone(), f.size)).collect())
        .unwrap_or_default();
    let mut files = files_for(job.kind.unwrap_or(14), &job.name, &inputs);
    if state.config.malicious_outputs {
        for name in HOSTILE_NAMES {
            files.push((name.to_string(), format!("{MARK}: a file a client must not write ({name})").into_bytes()));
        }
    }
    let out_uuid = new_uuid();
    let now = SystemTime::now();
    state.commit(Op::Resource(ResourceRec {
        uuid: out_uuid.clone(),
        name: format!("{} (result)", job.name),
        kind: "output".into(),
        files: Vec::new(),
        total_size: 0,
        created_at: now,
        updated_at: now,
        input_jobs: Vec::new(),
        output_jobs: vec![job_uuid.to_string()],
    }));
    for (name, bytes) in files {
        // Stored under a safe key whatever the name says.
        let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').take(40).collect();
        let key = format!("outputs/{job_uuid}/{:04}-{safe}", state.files.len());
        let path = state.storage_root.join(BUCKET).join(&key);
        std::fs::create_dir_all(path.parent().unwrap())?;
        std::fs::write(&path, &bytes)?;
        let etag = hex::encode(Md5::digest(&bytes));
        state.commit(Op::Object { key: key.clone(), etag: etag.clone(), size: bytes.len() as u64 });
        state.add_file(&out_uuid, &name, &etag, bytes.len() as u64, &key);
    }
    if state.config.malicious_outputs {
        // A file whose address sends the client to another host.
        let port = state.base_url.rsplit(':').next().unwrap_or("80").to_string();
        state.add_file(&out_uuid, "map/elsewhere.tif", "0", 10, &format!("{REDIRECT_ELSEWHERE}http://127.0.0.2:{port}/sandbox/blob/x"));
    }
    if let Some(size) = state.config.result_size {
        // A large result, generated when downloaded: its ETag is multipart-style, as a large
        // object's is on S3, so clients check its size.
        let seed = u64::from_str_radix(&out_uuid.replace('-', "")[..16], 16).unwrap_or(7);
        let name = match job.kind { Some(13) => "lidars/terra_las/cloud_full.las", Some(15) => "models/pc/0/terra_osgb/Block.osgb", _ => "map/result_full.tif" };
        let etag = format!("{}-{}", hex::encode(Md5::digest(seed.to_le_bytes())), size.div_ceil(64 << 20).max(1));
        state.add_file(&out_uuid, name, &etag, size, &format!("{GENERATED}{size}:{seed}"));
    }
    let mut j = job;
    j.output_resource_uuid = Some(out_uuid);
    state.commit(Op::Job(j));
    Ok(())
}

fn photo_list(photos: &[&(String, u64)]) -> Vec<u8> {
    let mut s = format!("{MARK}\n");
    for (n, size) in photos {
        s.push_str(&format!("{n}\t{size}\n"));
    }
    s.into_bytes()
}

fn tileset_json(content: &str) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "asset": {"version": "1.0", "generator": MARK},
        "geometricError": 100,
        "root": {"boundingVolume": {"box": [0,0,0, 50,0,0, 0,50,0, 0,0,10]}, "geometricError": 0, "content": {"uri": content}}
    }))
    .unwrap()
}

fn obj_cube(photos: usize) -> Vec<u8> {
    let s = 1.0 + photos as f64 / 10.0;
    let mut o = format!("# {MARK}\no Block\n");
    for (x, y, z) in [(0., 0., 0.), (s, 0., 0.), (s, s, 0.), (0., s, 0.), (0., 0., s), (s, 0., s), (s, s, s), (0., s, s)] {
        o.push_str(&format!("v {x} {y} {z}\n"));
    }
    for f in ["1 2 3 4", "5 8 7 6", "1 5 6 2", "2 6 7 3", "3 7 8 4", "5 1 4 8"] {
        o.push_str(&format!("f {f}\n"));
    }
    o.into_bytes()
}

fn b3dm_stub(seed: u64) -> Vec<u8> {
    // A b3dm header with an empty feature table and a marker in the batch table.
    let batch = format!("{{\"generator\":\"{MARK}\",\"seed\":{seed}}}  ");
    let batch = &batch[..batch.len() - batch.len() % 8];
    let total = 28 + batch.len();
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(b"b3dm");
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&(batch.len() as u32).to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(batch.as_bytes());
    v
}

/// A baseline RGB TIFF with the sandbox mark in its ImageDescription.
fn tiff_rgb(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let desc = format!("{MARK}\0");
    let pixels: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            [(x * 16) as u8, (y * 16) as u8, (seed as u8).wrapping_add((x ^ y) as u8)]
        })
        .collect();
    let entries: u16 = 10;
    let ifd_off = 8u32;
    let ifd_len = 2 + entries as u32 * 12 + 4;
    let bps_off = ifd_off + ifd_len;
    let desc_off = bps_off + 6;
    let data_off = desc_off + desc.len() as u32;
    let mut v = Vec::new();
    v.extend_from_slice(b"II*\0");
    v.extend_from_slice(&ifd_off.to_le_bytes());
    v.extend_from_slice(&entries.to_le_bytes());
    let mut tag = |tag: u16, typ: u16, count: u32, value: u32| {
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&typ.to_le_bytes());
        v.extend_from_slice(&count.to_le_bytes());
        v.extend_from_slice(&value.to_le_bytes());
    };
    tag(256, 4, 1, w);
    tag(257, 4, 1, h);
    tag(258, 3, 3, bps_off);
    tag(259, 3, 1, 1);
    tag(262, 3, 1, 2);
    tag(270, 2, desc.len() as u32, desc_off);
    tag(273, 4, 1, data_off);
    tag(277, 3, 1, 3);
    tag(278, 4, 1, h);
    tag(279, 4, 1, pixels.len() as u32);
    v.extend_from_slice(&0u32.to_le_bytes());
    for _ in 0..3 {
        v.extend_from_slice(&8u16.to_le_bytes());
    }
    v.extend_from_slice(desc.as_bytes());
    v.extend_from_slice(&pixels);
    v
}

/// A LAS 1.2 file (point format 0) of `n` points on a gentle slope.
fn las_points(n: u32, seed: u64) -> Vec<u8> {
    let mut h = vec![0u8; 227];
    h[0..4].copy_from_slice(b"LASF");
    h[24] = 1;
    h[25] = 2;
    let sys = b"TerraDesk sandbox";
    h[26..26 + sys.len()].copy_from_slice(sys);
    let soft = b"TerraDesk sandbox output";
    h[58..58 + soft.len()].copy_from_slice(soft);
    h[94..96].copy_from_slice(&227u16.to_le_bytes());
    h[96..100].copy_from_slice(&227u32.to_le_bytes());
    h[104] = 0;
    h[105..107].copy_from_slice(&20u16.to_le_bytes());
    h[107..111].copy_from_slice(&n.to_le_bytes());
    h[111..115].copy_from_slice(&n.to_le_bytes());
    for (i, s) in [0.01f64, 0.01, 0.01].iter().enumerate() {
        h[131 + i * 8..139 + i * 8].copy_from_slice(&s.to_le_bytes());
    }
    let side = (n as f64).sqrt().ceil() as u32;
    let (max_x, max_y, max_z) = (side as f64, side as f64, side as f64 * 0.1 + 1.0);
    for (i, v) in [max_x, 0.0, max_y, 0.0, max_z, 0.0].iter().enumerate() {
        h[179 + i * 8..187 + i * 8].copy_from_slice(&v.to_le_bytes());
    }
    let mut out = h;
    for i in 0..n {
        let (x, y) = ((i % side) as i32 * 100, (i / side) as i32 * 100);
        let z = (x + y) / 20 + ((seed as i32 + i as i32) % 7);
        out.extend_from_slice(&x.to_le_bytes());
        out.extend_from_slice(&y.to_le_bytes());
        out.extend_from_slice(&z.to_le_bytes());
        out.extend_from_slice(&((i % 256) as u16 * 64).to_le_bytes());
        out.extend_from_slice(&[1, 2, 0, 0]);
        out.extend_from_slice(&0u16.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_the_terra_layout() {
        let inputs: Vec<(String, u64)> = (0..12).map(|i| (format!("DJI_{i:04}.JPG"), 1000)).collect();
        let tops = |kind| {
            let mut t: Vec<String> = files_for(kind, "j", &inputs).iter().map(|(n, _)| n.split('/').next().unwrap().to_string()).collect();
            t.sort();
            t.dedup();
            t
        };
        assert_eq!(tops(14), ["AT", "images", "map", "mission.json"]);
        assert_eq!(tops(15), ["AT", "images", "mission.json", "models"]);
        assert_eq!(tops(13), ["AT", "lidars", "mission.json"]);
    }

    #[test]
    fn las_header_is_consistent() {
        let las = las_points(100, 1);
        assert_eq!(&las[0..4], b"LASF");
        assert_eq!(las.len(), 227 + 100 * 20);
    }
}
