//! Coordinate systems a survey operator picks from, searchable by code or name: the common
//! geographic systems, WGS 84 and CGCS2000 UTM / Gauss-Krüger zones, and Web Mercator.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CoordinateSystem {
    /// "EPSG:32650"
    pub code: String,
    pub name: String,
}

fn all() -> Vec<CoordinateSystem> {
    let mut v = vec![
        CoordinateSystem { code: "EPSG:4326".into(), name: "WGS 84 (latitude/longitude)".into() },
        CoordinateSystem { code: "EPSG:4490".into(), name: "China Geodetic Coordinate System 2000 (CGCS2000, latitude/longitude)".into() },
        CoordinateSystem { code: "EPSG:3857".into(), name: "WGS 84 / Pseudo-Mercator (web maps)".into() },
        CoordinateSystem { code: "EPSG:4978".into(), name: "WGS 84 (geocentric, ECEF)".into() },
        CoordinateSystem { code: "EPSG:4258".into(), name: "ETRS89 (latitude/longitude)".into() },
        CoordinateSystem { code: "EPSG:4269".into(), name: "NAD83 (latitude/longitude)".into() },
        CoordinateSystem { code: "EPSG:27700".into(), name: "OSGB36 / British National Grid".into() },
        CoordinateSystem { code: "EPSG:2154".into(), name: "RGF93 v1 / Lambert-93 (France)".into() },
        CoordinateSystem { code: "EPSG:28992".into(), name: "Amersfoort / RD New (Netherlands)".into() },
        CoordinateSystem { code: "EPSG:3067".into(), name: "ETRS89 / TM35FIN (Finland)".into() },
        CoordinateSystem { code: "EPSG:2193".into(), name: "NZGD2000 / New Zealand Transverse Mercator 2000".into() },
        CoordinateSystem { code: "EPSG:3112".into(), name: "GDA94 / Geoscience Australia Lambert".into() },
    ];
    for zone in 1..=60 {
        v.push(CoordinateSystem { code: format!("EPSG:{}", 32600 + zone), name: format!("WGS 84 / UTM zone {zone}N") });
        v.push(CoordinateSystem { code: format!("EPSG:{}", 32700 + zone), name: format!("WGS 84 / UTM zone {zone}S") });
    }
    for zone in 28..=38 {
        v.push(CoordinateSystem { code: format!("EPSG:{}", 25800 + zone), name: format!("ETRS89 / UTM zone {zone}N") });
    }
    for zone in 1..=23 {
        v.push(CoordinateSystem { code: format!("EPSG:{}", 26900 + zone), name: format!("NAD83 / UTM zone {zone}N") });
    }
    // CGCS2000 Gauss-Krüger: 3-degree zones 25–45 (EPSG:4513–4533), and by central meridian
    // 75°E–135°E (EPSG:4534–4554); 6-degree zones 13–23 (EPSG:4491–4501).
    for (i, zone) in (25..=45).enumerate() {
        v.push(CoordinateSystem { code: format!("EPSG:{}", 4513 + i), name: format!("CGCS2000 / 3-degree Gauss-Kruger zone {zone}") });
    }
    for (i, cm) in (75..=135).step_by(3).enumerate() {
        v.push(CoordinateSystem { code: format!("EPSG:{}", 4534 + i), name: format!("CGCS2000 / 3-degree Gauss-Kruger CM {cm}E") });
    }
    for (i, zone) in (13..=23).enumerate() {
        v.push(CoordinateSystem { code: format!("EPSG:{}", 4491 + i), name: format!("CGCS2000 / Gauss-Kruger zone {zone}") });
    }
    v
}

/// Up to `limit` systems whose code or name contains every word of `query`.
pub fn search(query: &str, limit: usize) -> Vec<CoordinateSystem> {
    let words: Vec<String> = query.to_lowercase().split_whitespace().map(|w| w.trim_start_matches("epsg:").to_string()).filter(|w| !w.is_empty()).collect();
    all()
        .into_iter()
        .filter(|c| {
            let hay = format!("{} {}", c.code.to_lowercase(), c.name.to_lowercase());
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_code_and_by_words() {
        assert_eq!(search("32650", 5)[0].name, "WGS 84 / UTM zone 50N");
        assert_eq!(search("EPSG:4547", 5)[0].name, "CGCS2000 / 3-degree Gauss-Kruger CM 114E");
        let utm50 = search("utm 50n", 10);
        assert!(utm50.iter().any(|c| c.code == "EPSG:32650"));
        assert!(search("", 500).len() > 150);
        assert!(search("nothing like this", 5).is_empty());
    }
}
