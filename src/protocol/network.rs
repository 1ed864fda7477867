//! Networks: CAIP-2 identifiers, and the fixed names x402 v1 used for them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// CAIP-2 reference of Solana mainnet-beta (its genesis hash, truncated).
pub const SOLANA_MAINNET: &str = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp";
/// CAIP-2 reference of Solana devnet.
pub const SOLANA_DEVNET: &str = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
/// CAIP-2 reference of Solana testnet.
pub const SOLANA_TESTNET: &str = "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z";

/// The x402 v1 network names and their CAIP-2 equivalents, both directions.
const V1_NAMES: &[(&str, Chain)] = &[
    ("base", Chain::Evm(8453)),
    ("base-sepolia", Chain::Evm(84532)),
    ("avalanche", Chain::Evm(43114)),
    ("avalanche-fuji", Chain::Evm(43113)),
    ("polygon", Chain::Evm(137)),
    ("polygon-amoy", Chain::Evm(80002)),
    ("ethereum", Chain::Evm(1)),
    ("sepolia", Chain::Evm(11155111)),
    ("abstract", Chain::Evm(2741)),
    ("abstract-testnet", Chain::Evm(11124)),
    ("iotex", Chain::Evm(4689)),
    ("sei", Chain::Evm(1329)),
    ("sei-testnet", Chain::Evm(1328)),
    ("peaq", Chain::Evm(3338)),
    ("story", Chain::Evm(1514)),
    ("educhain", Chain::Evm(41923)),
    ("skale-base-sepolia", Chain::Evm(324705682)),
    ("arbitrum", Chain::Evm(42161)),
    ("arbitrum-sepolia", Chain::Evm(421614)),
    ("optimism", Chain::Evm(10)),
    ("optimism-sepolia", Chain::Evm(11155420)),
    // The official v2 SDK's v1 names (`@x402/evm` 2.27, EVM_NETWORK_CHAIN_ID_MAP).
    ("megaeth", Chain::Evm(4326)),
    ("monad", Chain::Evm(143)),
    ("stable", Chain::Evm(988)),
    ("stable-testnet", Chain::Evm(2201)),
    ("celo", Chain::Evm(42220)),
    ("flare", Chain::Evm(14)),
    ("solana", Chain::Solana(SOLANA_MAINNET)),
    ("solana-devnet", Chain::Solana(SOLANA_DEVNET)),
    ("solana-testnet", Chain::Solana(SOLANA_TESTNET)),
];

/// The v1 names above that the official v1 client's network list (`x402` 1.2's
/// `NetworkSchema`) lacks.
const V1_UNKNOWN_TO_CLIENT: &[&str] = &[
    "ethereum",
    "sepolia",
    "arbitrum",
    "arbitrum-sepolia",
    "optimism",
    "optimism-sepolia",
    "megaeth",
    "monad",
    "stable",
    "stable-testnet",
    "celo",
    "flare",
    "solana-testnet",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chain {
    Evm(u64),
    Solana(&'static str),
}

/// A blockchain network, held as a CAIP-2 identifier (`namespace:reference`).
///
/// Parses CAIP-2 (`"eip155:8453"`, `"solana:5eykt4Us…"`) and the v1 names
/// (`"base"`, `"solana-devnet"`, …); displays and serializes as CAIP-2.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Network {
    namespace: String,
    reference: String,
}

impl Network {
    /// Parses a CAIP-2 identifier or an x402 v1 network name.
    ///
    /// # Errors
    /// [`Error::InvalidNetwork`] when the text is neither.
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(network) = Self::from_v1_name(text) {
            return Ok(network);
        }
        let (namespace, reference) = text.split_once(':').ok_or(Error::InvalidNetwork {
            reason: "neither CAIP-2 nor a known v1 network name",
        })?;
        let namespace_ok = (3..=8).contains(&namespace.len())
            && namespace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !namespace_ok {
            return Err(Error::InvalidNetwork {
                reason: "CAIP-2 namespace must be 3-8 of [-a-z0-9]",
            });
        }
        let reference_ok = (1..=32).contains(&reference.len())
            && reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !reference_ok {
            return Err(Error::InvalidNetwork {
                reason: "CAIP-2 reference must be 1-32 of [-_a-zA-Z0-9]",
            });
        }
        if namespace == "eip155" && parse_chain_id(reference).is_none() {
            return Err(Error::InvalidNetwork {
                reason: "eip155 reference must be a decimal chain id",
            });
        }
        Ok(Network {
            namespace: namespace.to_owned(),
            reference: reference.to_owned(),
        })
    }

    /// The network of an EVM chain id.
    pub fn evm(chain_id: u64) -> Self {
        Network {
            namespace: "eip155".to_owned(),
            reference: chain_id.to_string(),
        }
    }

    /// Maps an x402 v1 network name (`"base-sepolia"`) to its network.
    pub fn from_v1_name(name: &str) -> Option<Self> {
        V1_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, chain)| match chain {
                Chain::Evm(id) => Network::evm(*id),
                Chain::Solana(reference) => Network {
                    namespace: "solana".to_owned(),
                    reference: (*reference).to_owned(),
                },
            })
    }

    /// The x402 v1 name of this network, if v1 had one.
    pub fn v1_name(&self) -> Option<&'static str> {
        V1_NAMES
            .iter()
            .find(|(_, chain)| match chain {
                Chain::Evm(id) => self.chain_id() == Some(*id),
                Chain::Solana(reference) => self.is_solana() && self.reference == *reference,
            })
            .map(|(name, _)| *name)
    }

    /// The x402 v1 name of this network when the official v1 client (npm `x402` 1.x)
    /// knows it: that client refuses a whole v1 402 that offers one network it does
    /// not know, so a server's v1 body offers only these.
    pub fn v1_client_name(&self) -> Option<&'static str> {
        self.v1_name()
            .filter(|name| !V1_UNKNOWN_TO_CLIENT.contains(name))
    }

    /// The CAIP-2 namespace, e.g. `"eip155"`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The CAIP-2 reference, e.g. `"8453"`.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The EVM chain id, for `eip155` networks.
    pub fn chain_id(&self) -> Option<u64> {
        if self.namespace == "eip155" {
            parse_chain_id(&self.reference)
        } else {
            None
        }
    }

    /// Whether this is an EVM (`eip155`) network.
    pub fn is_evm(&self) -> bool {
        self.namespace == "eip155"
    }

    /// Whether this is a Solana network.
    pub fn is_solana(&self) -> bool {
        self.namespace == "solana"
    }
}

fn parse_chain_id(reference: &str) -> Option<u64> {
    let canonical = !reference.is_empty()
        && reference.bytes().all(|b| b.is_ascii_digit())
        && (reference == "0" || !reference.starts_with('0'));
    if canonical {
        reference.parse().ok()
    } else {
        None
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.namespace, self.reference)
    }
}

impl FromStr for Network {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Network::parse(s)
    }
}

impl Serialize for Network {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Network::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_names_map_both_ways() {
        for (name, _) in V1_NAMES {
            let network = Network::from_v1_name(name).unwrap();
            assert_eq!(network.v1_name(), Some(*name));
            assert_eq!(Network::parse(&network.to_string()).unwrap(), network);
        }
        assert_eq!(Network::parse("base").unwrap().to_string(), "eip155:8453");
        assert_eq!(
            Network::parse("base-sepolia").unwrap().chain_id(),
            Some(84532)
        );
        assert_eq!(
            Network::parse("polygon-amoy").unwrap().chain_id(),
            Some(80002)
        );
        assert_eq!(
            Network::parse("sepolia").unwrap().chain_id(),
            Some(11155111)
        );
        assert_eq!(
            Network::parse("solana-devnet").unwrap().to_string(),
            "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"
        );
        assert_eq!(
            Network::parse("eip155:43113").unwrap().v1_name(),
            Some("avalanche-fuji")
        );
        assert_eq!(Network::parse("eip155:31337").unwrap().v1_name(), None);
    }

    #[test]
    fn caip2_is_validated() {
        assert!(Network::parse("eip155:8453").unwrap().is_evm());
        assert!(
            Network::parse("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp")
                .unwrap()
                .is_solana()
        );
        assert_eq!(
            Network::parse("cosmos:cosmoshub-4").unwrap().namespace(),
            "cosmos"
        );
        for bad in [
            "",
            "mainnet",
            "eip155",
            "eip155:",
            ":1",
            "EIP155:1",
            "eip155:0x1",
            "eip155:01",
            "eip155:-1",
            "eip155:99999999999999999999",
            "ab:1",
            "toolongns:1",
            "eip155:1:2",
            "solana:has space",
            "solana:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(
                Network::parse(bad).unwrap_err().code(),
                "INVALID_NETWORK",
                "{bad:?}"
            );
        }
    }
}
