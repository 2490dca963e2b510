//! What a photo's header says: EXIF (kamadak-exif) and DJI's XMP (`drone-dji:`, read with
//! quick-xml), from the first segments of the file only, never the image data.

use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// The most of a file read for its header (DJI's EXIF and XMP together are under 64 KiB).
const MAX_HEADER: usize = 1024 * 1024;
const FIRST_READ: usize = 64 * 1024;

/// One photo as the doctor sees it. Positions in degrees (WGS 84), altitudes in metres, angles in
/// degrees (pitch −90: straight down).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PhotoMeta {
    pub name: String,
    #[specta(type = f64)]
    pub size: u64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub abs_alt: Option<f64>,
    pub rel_alt: Option<f64>,
    pub gimbal_pitch: Option<f64>,
    pub gimbal_yaw: Option<f64>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// EXIF DateTimeOriginal as written (`2026:01:26 13:50:17`, the camera's local time).
    pub taken: Option<String>,
    /// RTK status (DJI: 50 fixed, 34 float, 16 single, 0 none) and its horizontal accuracy (m).
    pub rtk_flag: Option<u32>,
    pub rtk_std: Option<f64>,
    /// Which flight it belongs to (1, 2 …), once the doctor has grouped the photos.
    pub flight: u32,
    /// Why the header could not be read, when it could not.
    pub unreadable: Option<String>,
    /// The user left it out of the job (the findings are of the other photos).
    #[serde(default)]
    pub left_out: bool,
}

impl PhotoMeta {
    /// Seconds since 0000 of the capture time, for gaps between photos (the camera's clock).
    pub fn taken_secs(&self) -> Option<i64> {
        let t = self.taken.as_deref()?;
        let d = chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y:%m:%d %H:%M:%S").ok()?;
        Some(d.and_utc().timestamp())
    }

    pub fn has_position(&self) -> bool {
        self.lat.is_some() && self.lon.is_some()
    }
}

/// The header segments of a JPEG: EXIF's TIFF payload and the XMP packet.
#[derive(Default)]
struct Segments {
    exif: Option<Vec<u8>>,
    xmp: Option<Vec<u8>>,
}

/// Have `buf` hold at least `upto` bytes of the file (reading on in large steps), unless the
/// file ends or the header would pass [`MAX_HEADER`].
fn ensure(f: &mut std::fs::File, buf: &mut Vec<u8>, upto: usize) -> std::io::Result<bool> {
    while buf.len() < upto && upto <= MAX_HEADER {
        let want = (upto - buf.len()).max(FIRST_READ).min(MAX_HEADER - buf.len());
        if f.take(want as u64).read_to_end(buf)? == 0 {
            break;
        }
    }
    Ok(buf.len() >= upto)
}

fn segments(path: &Path) -> std::io::Result<Segments> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = Vec::with_capacity(FIRST_READ);
    let mut out = Segments::default();
    if !ensure(&mut f, &mut buf, 2)? || !buf.starts_with(&[0xFF, 0xD8]) {
        return Ok(out);
    }
    let mut at = 2usize;
    while ensure(&mut f, &mut buf, at + 4)? && buf[at] == 0xFF {
        let marker = buf[at + 1];
        match marker {
            0xFF => at += 1,
            0xD8 | 0xD0..=0xD7 | 0x01 => at += 2,
            // The image data (or its end): the header is over.
            0xDA | 0xD9 => break,
            _ => {
                let len = u16::from_be_bytes([buf[at + 2], buf[at + 3]]) as usize;
                let end = at + 2 + len;
                if len < 2 || !ensure(&mut f, &mut buf, end)? {
                    break;
                }
                if marker == 0xE1 {
                    let body = &buf[at + 4..end];
                    if let Some(tiff) = body.strip_prefix(b"Exif\0\0") {
                        out.exif.get_or_insert_with(|| tiff.to_vec());
                    } else if let Some(xmp) = body.strip_prefix(b"http://ns.adobe.com/xap/1.0/\0") {
                        out.xmp.get_or_insert_with(|| xmp.to_vec());
                    }
                }
                if out.exif.is_some() && out.xmp.is_some() {
                    break;
                }
                at = end;
            }
        }
    }
    Ok(out)
}

/// Read a photo's header.
pub fn read(path: &Path, name: &str, size: u64) -> PhotoMeta {
    let mut m = PhotoMeta { name: name.to_string(), size, ..Default::default() };
    match segments(path) {
        Err(e) => m.unreadable = Some(e.to_string()),
        Ok(s) => {
            if let Some(tiff) = s.exif {
                read_exif(&tiff, &mut m);
            }
            if let Some(xmp) = s.xmp {
                read_xmp(&xmp, &mut m);
            }
        }
    }
    m
}

fn read_exif(tiff: &[u8], m: &mut PhotoMeta) {
    use exif::{In, Tag, Value};
    let Ok(e) = exif::Reader::new().read_raw(tiff.to_vec()) else { return };
    let text = |tag: Tag| {
        e.get_field(tag, In::PRIMARY).and_then(|f| match &f.value {
            Value::Ascii(v) => v.first().map(|s| String::from_utf8_lossy(s).trim_matches(char::from(0)).trim().to_string()).filter(|s| !s.is_empty()),
            _ => None,
        })
    };
    let uint = |tag: Tag| e.get_field(tag, In::PRIMARY).and_then(|f| f.value.get_uint(0));
    let degrees = |tag: Tag, reference: Tag, negative: &str| {
        let f = e.get_field(tag, In::PRIMARY)?;
        let Value::Rational(v) = &f.value else { return None };
        if v.len() < 3 || v.iter().any(|r| r.denom == 0) {
            return None;
        }
        let d = v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0;
        let sign = if text(reference).is_some_and(|r| r.eq_ignore_ascii_case(negative)) { -1.0 } else { 1.0 };
        Some(sign * d)
    };
    m.lat = degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S");
    m.lon = degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W");
    if m.abs_alt.is_none() {
        m.abs_alt = e.get_field(Tag::GPSAltitude, In::PRIMARY).and_then(|f| match &f.value {
            Value::Rational(v) if v.first().is_some_and(|r| r.denom != 0) => Some(v[0].to_f64()),
            _ => None,
        });
    }
    m.make = text(Tag::Make);
    m.model = text(Tag::Model);
    m.serial = text(Tag::BodySerialNumber).or(m.serial.take());
    m.width = uint(Tag::PixelXDimension).or(uint(Tag::ImageWidth));
    m.height = uint(Tag::PixelYDimension).or(uint(Tag::ImageLength));
    m.taken = text(Tag::DateTimeOriginal).or_else(|| text(Tag::DateTime));
}

/// DJI's `drone-dji:` properties, as attributes (`drone-dji:RelativeAltitude="+44.47"`) or
/// elements (`<drone-dji:RelativeAltitude>+44.47</…>`), whichever the camera wrote.
fn read_xmp(xmp: &[u8], m: &mut PhotoMeta) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(xmp);
    let mut values: Vec<(String, String)> = Vec::new();
    let mut open: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                for a in e.attributes().flatten() {
                    let key = String::from_utf8_lossy(a.key.as_ref()).to_string();
                    if let Some(k) = key.strip_prefix("drone-dji:") {
                        values.push((k.to_string(), String::from_utf8_lossy(&a.value).to_string()));
                    }
                }
                let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
                open = name.strip_prefix("drone-dji:").map(str::to_string);
            }
            Ok(Event::Text(t)) => {
                if let Some(k) = open.take() {
                    values.push((k, String::from_utf8_lossy(t.as_ref()).trim().to_string()));
                }
            }
            Ok(Event::End(_)) => open = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    let num = |key: &str| values.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| v.trim().trim_start_matches('+').parse::<f64>().ok());
    let txt = |key: &str| values.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    m.abs_alt = num("AbsoluteAltitude").or(m.abs_alt);
    m.rel_alt = num("RelativeAltitude");
    m.gimbal_pitch = num("GimbalPitchDegree");
    m.gimbal_yaw = num("GimbalYawDegree");
    m.rtk_flag = num("RtkFlag").map(|v| v as u32);
    m.rtk_std = num("RtkStdLat");
    // DJI writes "GpsLongtitude" (sic) in some firmware.
    if m.lat.is_none() {
        m.lat = num("GpsLatitude").or(num("Latitude"));
    }
    if m.lon.is_none() {
        m.lon = num("GpsLongitude").or(num("GpsLongtitude")).or(num("Longitude"));
    }
    if m.serial.is_none() {
        m.serial = txt("DroneSerialNumber").or(txt("CameraSerialNumber"));
    }
}
