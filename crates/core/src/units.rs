//! Sizes and rates as people write them: `3GiB`, `500MB`, `2MiB/s`, `20Mbit`. One reading of the
//! number and its unit for every flag and field that takes one.

/// The leading number and the unit after it, lower-cased: "2.5 MiB" → (2.5, "mib"); `None` when
/// no number leads.
fn split_quantity(s: &str) -> Option<(f64, String)> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    Some((num.parse().ok()?, unit.trim().to_ascii_lowercase()))
}

/// Bytes in one of a byte unit (B, KB, KiB, MB, MiB, GB, GiB; "" and "k", "m", "g" too).
fn byte_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

/// Bytes in one of a bit unit (kbit, Mbit, Gbit, and kbps, Mbps, Gbps).
fn bit_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "kbit" | "kbps" => 1e3 / 8.0,
        "mbit" | "mbps" => 1e6 / 8.0,
        "gbit" | "gbps" => 1e9 / 8.0,
        _ => return None,
    })
}

/// A size: "3GiB", "500MB", "10mib", "1234" (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (n, unit) = split_quantity(s).ok_or_else(|| format!("\"{s}\" is not a size (e.g. 3GiB, 500MB)"))?;
    let mult = byte_unit(&unit).ok_or_else(|| format!("\"{unit}\" is not a size unit (B, KB, KiB, MB, MiB, GB, GiB)"))?;
    Ok((n * mult).round() as u64)
}

/// A rate, per second: `2MiB`, `500KiB`, `1.5MB`, `20Mbit` (bits are divided by eight), or plain
/// bytes; a trailing `/s` is allowed. `0` or `off`: no limit.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s.trim().trim_end_matches("/s").trim();
    if t.eq_ignore_ascii_case("off") || t.eq_ignore_ascii_case("none") {
        return Ok(0);
    }
    let (value, unit) = split_quantity(t).ok_or_else(|| format!("\"{s}\" is not a rate: write it as 2MiB, 500KiB or 20Mbit (per second)"))?;
    let factor = byte_unit(&unit).or_else(|| bit_unit(&unit)).ok_or_else(|| format!("\"{s}\": unknown unit \"{unit}\" (use KiB, MiB, MB or Mbit)"))?;
    let rate = value * factor;
    if !rate.is_finite() {
        return Err(format!("\"{s}\" is not a rate"));
    }
    Ok(rate.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_as_people_write_them() {
        assert_eq!(parse_size("3GiB").unwrap(), 3 << 30);
        assert_eq!(parse_size(" 500MB ").unwrap(), 500_000_000);
        assert_eq!(parse_size("10mib").unwrap(), 10 << 20);
        assert_eq!(parse_size("1234").unwrap(), 1234);
        assert!(parse_size("big").unwrap_err().contains("is not a size"));
        assert!(parse_size("2Mbit").unwrap_err().contains("\"mbit\" is not a size unit"));
    }

    #[test]
    fn rates_are_read_as_people_write_them() {
        assert_eq!(parse_rate("2MiB").unwrap(), 2 * 1024 * 1024);
        assert_eq!(parse_rate("2 MiB/s").unwrap(), 2 * 1024 * 1024);
        assert_eq!(parse_rate("500KiB").unwrap(), 512_000);
        assert_eq!(parse_rate("20Mbit").unwrap(), 2_500_000);
        assert_eq!(parse_rate("1.5MB").unwrap(), 1_500_000);
        assert_eq!(parse_rate("off").unwrap(), 0);
        assert_eq!(parse_rate("4096").unwrap(), 4096);
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("2 parsecs").is_err());
    }
}
