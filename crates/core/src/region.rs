use serde::{Deserialize, Serialize};

/// Where the account lives. The US and China hosts are DJI's; the sandbox is TerraDesk's own local
/// TerraAPI emulator, for trying the whole flow without an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Cn,
    Sandbox,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Us, Region::Cn, Region::Sandbox];

    /// The TerraAPI host of a real region; `None` for the sandbox, whose address is chosen when it
    /// starts.
    pub fn host(self) -> Option<&'static str> {
        match self {
            Region::Us => Some("https://openapi-us.dji.com"),
            Region::Cn => Some("https://openapi-cn.dji.com"),
            Region::Sandbox => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Cn => "cn",
            Region::Sandbox => "sandbox",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Region::Us => "United States",
            Region::Cn => "China",
            Region::Sandbox => "Sandbox",
        }
    }
}

impl Default for Region {
    fn default() -> Self {
        Region::Us
    }
}

impl std::str::FromStr for Region {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" | "usa" | "united states" => Ok(Region::Us),
            "cn" | "china" => Ok(Region::Cn),
            "sandbox" | "local" => Ok(Region::Sandbox),
            other => Err(crate::Error::UnknownRegion { value: other.to_string() }),
        }
    }
}
