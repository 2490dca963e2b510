//! File names from the server are untrusted data: each becomes a plain relative path inside the
//! download folder, or is refused with the reason.

use crate::cloud::RemoteFile;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

/// Windows device names, refused anywhere in a path (COM¹ and LPT¹ included).
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "conin$", "conout$", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "com¹", "com²", "com³", "lpt0",
    "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "lpt¹", "lpt²", "lpt³",
];

/// Characters Windows refuses in a name.
const WINDOWS_INVALID: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// The longest name one file system entry may have, in bytes (ext4, NTFS in UTF-16 units ≈ the same).
const MAX_NAME_BYTES: usize = 255;

/// What TerraDesk names its own partial downloads: no result file may be called so.
pub const PART_SUFFIX: &str = ".terradesk-part";

/// A server's file name as a relative path inside the download folder, or why it is refused.
pub fn safe_relative_path(name: &str) -> std::result::Result<PathBuf, String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("control characters in the name".into());
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err("absolute path".into());
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' {
        return Err("drive letter".into());
    }
    let mut out = PathBuf::new();
    if name.ends_with(PART_SUFFIX) {
        return Err("the name of a partial download".into());
    }
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => continue,
            ".." => return Err("\"..\" in the path".into()),
            p if p.contains(':') => return Err("\":\" in the path".into()),
            p if p.contains(WINDOWS_INVALID) => return Err(format!("\"{p}\" has a character Windows refuses (< > : \" | ? *)")),
            p if p.len() > MAX_NAME_BYTES => return Err(format!("a name longer than a file system allows ({} bytes)", p.len())),
            p if RESERVED.contains(&p.split('.').next().unwrap_or("").to_ascii_lowercase().as_str()) => {
                return Err(format!("\"{p}\" is a reserved device name"))
            }
            p if p.ends_with(' ') || p.ends_with('.') => return Err("a path part ends with a dot or space".into()),
            p => out.push(p),
        }
    }
    if out.as_os_str().is_empty() {
        return Err("no file name".into());
    }
    // Belt and braces: nothing but normal components.
    if out.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err("not a plain relative path".into());
    }
    Ok(out)
}

/// The form names collide in: on case-insensitive file systems, and on those (macOS) that store
/// "é" composed or decomposed alike.
fn collision_key(p: &Path) -> String {
    use unicode_normalization::UnicodeNormalization;
    p.to_string_lossy().nfc().collect::<String>().to_lowercase()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RefusedFile {
    pub name: String,
    pub reason: String,
}

/// The top-level output a result file belongs to ("map", "AT", "mission.json").
pub fn top_level(name: &str) -> &str {
    name.trim_start_matches(['/', '\\']).split(['/', '\\']).next().unwrap_or("")
}

/// Which result files to fetch: top-level folders or files ("map", "AT", "mission.json"); empty
/// means all.
pub fn selected(files: &[RemoteFile], outputs: &[String]) -> Vec<RemoteFile> {
    if outputs.is_empty() {
        return files.to_vec();
    }
    files.iter().filter(|f| outputs.iter().any(|o| top_level(&f.name) == o.trim_matches('/'))).cloned().collect()
}

/// Plan where each file goes; refuse unsafe and colliding names.
pub fn plan(files: &[RemoteFile], dest: &Path) -> (Vec<(RemoteFile, PathBuf)>, Vec<RefusedFile>) {
    let mut seen = HashSet::new();
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for f in files {
        match safe_relative_path(&f.name) {
            Ok(rel) if !seen.insert(collision_key(&rel)) => {
                refused.push(RefusedFile { name: f.name.clone(), reason: "another file has the same name (ignoring case)".into() })
            }
            Ok(rel) => accepted.push((f.clone(), rel)),
            Err(reason) => refused.push(RefusedFile { name: f.name.clone(), reason }),
        }
    }
    // A file and a folder of the same name cannot both exist: the deeper one is refused.
    let mut ok = Vec::new();
    for (f, rel) in accepted {
        let clash = rel.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).any(|a| seen.contains(&collision_key(a)));
        if clash {
            refused.push(RefusedFile { name: f.name.clone(), reason: "a file of the result has the name of this file's folder".into() });
        } else {
            ok.push((f, dest.join(rel)));
        }
    }
    (ok, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(n: &str) -> RemoteFile {
        RemoteFile { name: n.into(), ..Default::default() }
    }

    #[test]
    fn zip_slip_and_odd_names_are_refused() {
        let long = format!("map/{}.tif", "x".repeat(300));
        for bad in ["../evil.txt", "a/../../b", "/etc/passwd", "\\\\server\\share", "C:\\Windows\\x", "c:x", "a/CON.txt", "x\u{0}y", "", "./..", "dir/trailing.", "map/what?.tif", "a/b|c", "a/COM0", "a/lpt¹.txt", "dir/trailing ", &long, "map/x.tif.terradesk-part"] {
            assert!(safe_relative_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(safe_relative_path("map/result.tif").unwrap(), PathBuf::from("map/result.tif"));
        assert_eq!(safe_relative_path("AT\\at.json").unwrap(), PathBuf::from("AT/at.json"));
        assert_eq!(safe_relative_path("./models//pc/0.b3dm").unwrap(), PathBuf::from("models/pc/0.b3dm"));
        assert_eq!(safe_relative_path("航测/照片.jpg").unwrap(), PathBuf::from("航测/照片.jpg"));
    }

    #[test]
    fn collisions_after_normalisation_are_refused() {
        let dest = Path::new("/tmp/x");
        let (ok, refused) = plan(&[f("map/a.tif"), f("MAP/A.TIF"), f("map\\a.tif"), f("../x"), f("map/a.tif/inner")], dest);
        assert_eq!(ok.len(), 1);
        assert_eq!(refused.len(), 4, "{refused:?}");
        assert!(ok.iter().all(|(_, p)| p.starts_with(dest)));
    }

    #[test]
    fn composed_and_decomposed_names_collide() {
        let dest = Path::new("/tmp/x");
        let (ok, refused) = plan(&[f("map/caf\u{e9}.tif"), f("map/cafe\u{301}.tif")], dest);
        assert_eq!((ok.len(), refused.len()), (1, 1));
    }

    #[test]
    fn selection_by_top_level_output() {
        let all = vec![f("map/result.tif"), f("map/dsm.tif"), f("AT/a.json"), f("mission.json"), f("mapx/y")];
        let names: Vec<String> = selected(&all, &["map".into(), "mission.json".into()]).into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["map/result.tif", "map/dsm.tif", "mission.json"]);
    }
}
