//! EIP-712 typed structured data: encodeType, struct hashes (nested structs and
//! arrays included), the domain separator and the signing digest, plus the JSON
//! form `eth_signTypedData_v4` takes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use ruint::aliases::U256;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Address, keccak256};
use crate::error::{Error, Result};
use crate::protocol::Amount;

/// One member of a struct type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypedField {
    /// The member name.
    pub name: String,
    /// The Solidity type, e.g. `"uint256"`, `"address"`, `"TokenPermissions"`.
    #[serde(rename = "type")]
    pub ty: String,
}

/// Typed data as wallets take it: domain, struct types, primary type and message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypedData {
    /// The domain: any of `name`, `version`, `chainId`, `verifyingContract`, `salt`.
    pub domain: Map<String, Value>,
    /// The struct types, without `EIP712Domain` (derived from `domain` when absent).
    pub types: BTreeMap<String, Vec<TypedField>>,
    /// The type of `message`.
    pub primary_type: String,
    /// The message; numbers as decimal strings (or `0x` hex), addresses as hex.
    pub message: Map<String, Value>,
}

const DOMAIN_TYPE: &str = "EIP712Domain";
const DOMAIN_FIELDS: [(&str, &str); 5] = [
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
];
const MAX_DEPTH: usize = 16;
/// How many domain separators are remembered (oldest dropped first).
const DOMAIN_CACHE: usize = 16;

thread_local! {
    static DOMAINS: std::cell::RefCell<Vec<(String, [u8; 32])>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidTypedData {
        reason: reason.into(),
    }
}

impl TypedData {
    /// Builds typed data from a primary type and its struct types (`(name, "type name,...")`).
    pub fn new(
        domain: Map<String, Value>,
        types: &[(&str, &[(&str, &str)])],
        primary_type: &str,
        message: Map<String, Value>,
    ) -> Self {
        let types = types
            .iter()
            .map(|(name, fields)| {
                let fields = fields
                    .iter()
                    .map(|(ty, name)| TypedField {
                        name: (*name).into(),
                        ty: (*ty).into(),
                    })
                    .collect();
                ((*name).to_owned(), fields)
            })
            .collect();
        TypedData {
            domain,
            types,
            primary_type: primary_type.to_owned(),
            message,
        }
    }

    /// The `EIP712Domain` fields: the declared ones, else those present in `domain`
    /// in canonical order.
    pub fn domain_fields(&self) -> Vec<TypedField> {
        if let Some(declared) = self.types.get(DOMAIN_TYPE) {
            return declared.clone();
        }
        DOMAIN_FIELDS
            .iter()
            .filter(|(name, _)| self.domain.contains_key(*name))
            .map(|(name, ty)| TypedField {
                name: (*name).into(),
                ty: (*ty).into(),
            })
            .collect()
    }

    fn fields_of(&self, ty: &str) -> Option<Cow<'_, [TypedField]>> {
        match self.types.get(ty) {
            Some(fields) => Some(Cow::Borrowed(fields.as_slice())),
            None if ty == DOMAIN_TYPE => Some(Cow::Owned(self.domain_fields())),
            None => None,
        }
    }

    /// `encodeType(ty)`: the type followed by its referenced struct types, sorted.
    ///
    /// # Errors
    /// [`Error::InvalidTypedData`] when `ty` or a referenced type is undefined.
    pub fn encode_type(&self, ty: &str) -> Result<String> {
        let mut deps = BTreeSet::new();
        self.collect_deps(ty, &mut deps)?;
        deps.remove(ty);
        let mut out = String::new();
        for name in std::iter::once(ty).chain(deps.iter().map(String::as_str)) {
            let fields = self
                .fields_of(name)
                .ok_or_else(|| invalid(format!("type {name} is not defined")))?;
            let members: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.ty, f.name))
                .collect();
            out.push_str(&format!("{name}({})", members.join(",")));
        }
        Ok(out)
    }

    fn collect_deps(&self, ty: &str, deps: &mut BTreeSet<String>) -> Result<()> {
        // A work list, not recursion: a long chain of types (T0 has a T1, T1 a T2, ...)
        // must not exhaust the stack.
        let mut pending = vec![ty.to_owned()];
        while let Some(ty) = pending.pop() {
            if deps.contains(&ty) {
                continue;
            }
            let fields = self
                .fields_of(&ty)
                .ok_or_else(|| invalid(format!("type {ty} is not defined")))?;
            for field in fields.iter() {
                let base = field.ty.split('[').next().unwrap_or_default();
                if !deps.contains(base) && self.fields_of(base).is_some() {
                    pending.push(base.to_owned());
                }
            }
            deps.insert(ty);
        }
        Ok(())
    }

    /// `hashStruct(ty, data)`.
    ///
    /// # Errors
    /// [`Error::InvalidTypedData`] for undefined types, missing members or values
    /// that do not fit their type.
    pub fn hash_struct(&self, ty: &str, data: &Map<String, Value>) -> Result<[u8; 32]> {
        self.hash_struct_at(ty, data, 0)
    }

    fn hash_struct_at(
        &self,
        ty: &str,
        data: &Map<String, Value>,
        depth: usize,
    ) -> Result<[u8; 32]> {
        if depth > MAX_DEPTH {
            return Err(invalid("structs nested too deep"));
        }
        let fields = self
            .fields_of(ty)
            .ok_or_else(|| invalid(format!("type {ty} is not defined")))?;
        let mut encoded = Vec::with_capacity(32 * (fields.len() + 1));
        encoded.extend_from_slice(&keccak256(self.encode_type(ty)?.as_bytes()));
        for field in fields.iter() {
            let value = data
                .get(&field.name)
                .ok_or_else(|| invalid(format!("{ty}.{} is missing", field.name)))?;
            encoded.extend_from_slice(&self.encode_value(&field.ty, value, depth)?);
        }
        Ok(keccak256(&encoded))
    }

    fn encode_value(&self, ty: &str, value: &Value, depth: usize) -> Result<[u8; 32]> {
        if let Some(element) = ty.strip_suffix(']') {
            let (element, length) = element
                .rsplit_once('[')
                .ok_or_else(|| invalid(format!("bad array type {ty}")))?;
            let items = value
                .as_array()
                .ok_or_else(|| invalid(format!("{ty} value is not an array")))?;
            if !length.is_empty() && length.parse::<usize>().ok() != Some(items.len()) {
                return Err(invalid(format!("{ty} value has {} items", items.len())));
            }
            let mut encoded = Vec::with_capacity(32 * items.len());
            for item in items {
                encoded.extend_from_slice(&self.encode_value(element, item, depth + 1)?);
            }
            return Ok(keccak256(&encoded));
        }
        if self.fields_of(ty).is_some() {
            let data = value
                .as_object()
                .ok_or_else(|| invalid(format!("{ty} value is not an object")))?;
            return self.hash_struct_at(ty, data, depth + 1);
        }
        encode_atomic(ty, value)
    }

    /// The domain separator: `hashStruct("EIP712Domain", domain)`.
    ///
    /// # Errors
    /// As [`TypedData::hash_struct`].
    pub fn domain_separator(&self) -> Result<[u8; 32]> {
        // A client signs, and a server verifies, for the same few domains over and
        // over: remember the last ones, keyed by the domain and its fields as JSON.
        let Ok(key) = serde_json::to_string(&(&self.domain, self.domain_fields())) else {
            return self.hash_struct(DOMAIN_TYPE, &self.domain);
        };
        let known = DOMAINS.with(|d| d.borrow().iter().find(|(k, _)| *k == key).map(|(_, h)| *h));
        if let Some(hash) = known {
            return Ok(hash);
        }
        let hash = self.hash_struct(DOMAIN_TYPE, &self.domain)?;
        DOMAINS.with(|d| {
            let mut d = d.borrow_mut();
            if d.len() >= DOMAIN_CACHE {
                d.remove(0);
            }
            d.push((key, hash));
        });
        Ok(hash)
    }

    /// The digest a wallet signs: `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))`.
    ///
    /// # Errors
    /// As [`TypedData::hash_struct`].
    pub fn digest(&self) -> Result<[u8; 32]> {
        let mut preimage = Vec::with_capacity(66);
        preimage.extend_from_slice(&[0x19, 0x01]);
        preimage.extend_from_slice(&self.domain_separator()?);
        preimage.extend_from_slice(&self.hash_struct(&self.primary_type, &self.message)?);
        Ok(keccak256(&preimage))
    }

    /// The JSON `eth_signTypedData_v4` takes (with `EIP712Domain` in `types`).
    pub fn to_v4_json(&self) -> Value {
        let mut types = Map::new();
        types.insert(DOMAIN_TYPE.to_owned(), json!(self.domain_fields()));
        for (name, fields) in self.types.iter().filter(|(name, _)| *name != DOMAIN_TYPE) {
            types.insert(name.clone(), json!(fields));
        }
        json!({
            "types": types,
            "domain": self.domain,
            "primaryType": self.primary_type,
            "message": self.message,
        })
    }
}

/// Encodes an atomic value (`address`, `bool`, `string`, `bytes`, `bytesN`,
/// `uintN`, `intN`) as one 32-byte word.
fn encode_atomic(ty: &str, value: &Value) -> Result<[u8; 32]> {
    let bad = || invalid(format!("value {value} does not fit type {ty}"));
    match ty {
        // A mixed-case address must carry its EIP-55 checksum, as viem's hashTypedData asks.
        "address" => Ok(Address::parse(value.as_str().ok_or_else(bad)?)?.to_word()),
        "bool" => {
            let mut word = [0u8; 32];
            word[31] = u8::from(value.as_bool().ok_or_else(bad)?);
            Ok(word)
        }
        "string" => Ok(keccak256(value.as_str().ok_or_else(bad)?.as_bytes())),
        "bytes" => Ok(keccak256(&hex_bytes(value).ok_or_else(bad)?)),
        _ => {
            if let Some(size) = ty.strip_prefix("bytes") {
                let size: usize = size
                    .parse()
                    .map_err(|_| invalid(format!("unknown type {ty}")))?;
                let bytes = hex_bytes(value).ok_or_else(bad)?;
                if !(1..=32).contains(&size) || bytes.len() != size {
                    return Err(bad());
                }
                let mut word = [0u8; 32];
                let (head, _) = word.split_at_mut(size);
                head.copy_from_slice(&bytes);
                return Ok(word);
            }
            if let Some(bits) = ty.strip_prefix("uint") {
                let bits = int_bits(bits).ok_or_else(|| invalid(format!("unknown type {ty}")))?;
                let v = uint_value(value).ok_or_else(bad)?;
                if bits < 256 && v >> bits != U256::ZERO {
                    return Err(bad());
                }
                return Ok(v.to_be_bytes::<32>());
            }
            if let Some(bits) = ty.strip_prefix("int") {
                let bits = int_bits(bits).ok_or_else(|| invalid(format!("unknown type {ty}")))?;
                return int_value(value, bits)
                    .map(|v| v.to_be_bytes::<32>())
                    .ok_or_else(bad);
            }
            Err(invalid(format!("unknown type {ty}")))
        }
    }
}

fn int_bits(text: &str) -> Option<usize> {
    let bits = if text.is_empty() {
        256
    } else {
        text.parse().ok()?
    };
    ((8..=256).contains(&bits) && bits % 8 == 0).then_some(bits)
}

fn hex_bytes(value: &Value) -> Option<Vec<u8>> {
    hex::decode(value.as_str()?.strip_prefix("0x")?).ok()
}

/// A uint from a decimal string, a `0x` hex string or a JSON integer.
pub(crate) fn uint_value(value: &Value) -> Option<U256> {
    match value {
        Value::Number(n) => n.as_u64().map(U256::from),
        Value::String(s) if s.starts_with("0x") => hex_u256(s),
        Value::String(s) => Amount::parse(s).ok().map(|a| a.as_u256()),
        _ => None,
    }
}

/// `0x` + 1 to 64 hex digits (a JSON-RPC quantity) as a uint.
pub(crate) fn hex_u256(text: &str) -> Option<U256> {
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 64 {
        return None;
    }
    U256::from_str_radix(digits, 16).ok()
}

/// An intN as its two's-complement 256-bit word, range-checked.
fn int_value(value: &Value, bits: usize) -> Option<U256> {
    let (negative, magnitude) = match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => (i < 0, U256::from(i.unsigned_abs())),
            None => (false, U256::from(n.as_u64()?)),
        },
        Value::String(s) => match s.strip_prefix('-') {
            Some(rest) => (true, uint_value(&Value::String(rest.to_owned()))?),
            None => (false, uint_value(value)?),
        },
        _ => return None,
    };
    let limit = U256::from(1u8) << (bits - 1);
    if negative {
        (magnitude <= limit).then(|| magnitude.wrapping_neg())
    } else {
        (magnitude < limit).then_some(magnitude)
    }
}
