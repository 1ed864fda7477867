//! v0 transaction messages (no address lookup tables): compiling instructions into
//! ordered account keys and a header, the wire encoding with compact-u16 lengths,
//! and parsing it back.

use std::cmp::Ordering;

use super::Pubkey;
use crate::error::{Error, Result};

/// The most bytes a Solana transaction may have on the wire: one packet (1232).
pub const PACKET_LEN: usize = 1232;

/// An account an instruction uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountMeta {
    /// The account.
    pub pubkey: Pubkey,
    /// Whether it must sign.
    pub is_signer: bool,
    /// Whether it is written.
    pub is_writable: bool,
}

/// An instruction before compilation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// The program.
    pub program_id: Pubkey,
    /// Its accounts, in order.
    pub accounts: Vec<AccountMeta>,
    /// Its data.
    pub data: Vec<u8>,
}

/// An instruction inside a message: indices into the account keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledInstruction {
    /// Index of the program id.
    pub program_id_index: u8,
    /// Indices of the accounts.
    pub accounts: Vec<u8>,
    /// The data.
    pub data: Vec<u8>,
}

/// A v0 message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Signatures required (the first keys).
    pub num_required_signatures: u8,
    /// Of those, how many are read-only.
    pub num_readonly_signed: u8,
    /// Read-only keys among the unsigned (the last keys).
    pub num_readonly_unsigned: u8,
    /// The static account keys.
    pub account_keys: Vec<Pubkey>,
    /// The recent blockhash.
    pub recent_blockhash: [u8; 32],
    /// The instructions.
    pub instructions: Vec<CompiledInstruction>,
    /// Address table lookups (must be empty here; kept to reject them on parse).
    pub lookup_count: usize,
}

fn malformed(reason: &'static str) -> Error {
    Error::InvalidTransaction { reason }
}

/// The order @solana/kit gives accounts within one role: its address comparator, a
/// case-insensitive collation of the base58 text (digits first), ties broken with
/// lower case first.
pub(crate) fn address_order(a: &Pubkey, b: &Pubkey) -> Ordering {
    let (a, b) = (a.to_string(), b.to_string());
    let primary = |c: char| (u8::from(!c.is_ascii_digit()), c.to_ascii_lowercase());
    let by_primary = a.chars().map(primary).cmp(b.chars().map(primary));
    by_primary.then_with(|| {
        a.chars()
            .zip(b.chars())
            .find(|(x, y)| x != y)
            .map_or(Ordering::Equal, |(x, _)| {
                if x.is_ascii_lowercase() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            })
    })
}

impl Message {
    /// Compiles `instructions` with `fee_payer` (a writable signer, first) and the blockhash.
    ///
    /// # Errors
    /// [`Error::InvalidTransaction`] when there are more than 256 accounts.
    pub fn compile(
        fee_payer: &Pubkey,
        instructions: &[Instruction],
        recent_blockhash: [u8; 32],
    ) -> Result<Self> {
        // (signer, writable) per key, merged across uses.
        let mut roles: Vec<(Pubkey, bool, bool)> = vec![(*fee_payer, true, true)];
        let mut add =
            |key: Pubkey, signer: bool, writable: bool| match roles.iter_mut().find(|r| r.0 == key)
            {
                Some(role) => {
                    role.1 |= signer;
                    role.2 |= writable;
                }
                None => roles.push((key, signer, writable)),
            };
        for ix in instructions {
            for meta in &ix.accounts {
                add(meta.pubkey, meta.is_signer, meta.is_writable);
            }
            add(ix.program_id, false, false);
        }
        let (payer, rest) = roles.split_first().ok_or(malformed("no accounts"))?;
        let mut rest = rest.to_vec();
        rest.sort_by(|a, b| {
            let rank = |r: &(Pubkey, bool, bool)| match (r.1, r.2) {
                (true, true) => 0,
                (true, false) => 1,
                (false, true) => 2,
                (false, false) => 3,
            };
            rank(a)
                .cmp(&rank(b))
                .then_with(|| address_order(&a.0, &b.0))
        });
        let ordered: Vec<(Pubkey, bool, bool)> = std::iter::once(*payer).chain(rest).collect();
        if ordered.len() > 256 {
            return Err(malformed("more than 256 accounts"));
        }
        let count = |f: &dyn Fn(&(Pubkey, bool, bool)) -> bool| {
            ordered.iter().filter(|r| f(r)).count() as u8
        };
        let account_keys: Vec<Pubkey> = ordered.iter().map(|r| r.0).collect();
        let index = |key: &Pubkey| {
            account_keys
                .iter()
                .position(|k| k == key)
                .unwrap_or_default() as u8
        };
        let compiled = instructions
            .iter()
            .map(|ix| CompiledInstruction {
                program_id_index: index(&ix.program_id),
                accounts: ix.accounts.iter().map(|m| index(&m.pubkey)).collect(),
                data: ix.data.clone(),
            })
            .collect();
        Ok(Message {
            num_required_signatures: count(&|r| r.1),
            num_readonly_signed: count(&|r| r.1 && !r.2),
            num_readonly_unsigned: count(&|r| !r.1 && !r.2),
            account_keys,
            recent_blockhash,
            instructions: compiled,
            lookup_count: 0,
        })
    }

    /// The wire bytes (`0x80` version prefix).
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = vec![
            0x80,
            self.num_required_signatures,
            self.num_readonly_signed,
            self.num_readonly_unsigned,
        ];
        compact_u16(&mut out, self.account_keys.len());
        for key in &self.account_keys {
            out.extend_from_slice(&key.0);
        }
        out.extend_from_slice(&self.recent_blockhash);
        compact_u16(&mut out, self.instructions.len());
        for ix in &self.instructions {
            out.push(ix.program_id_index);
            compact_u16(&mut out, ix.accounts.len());
            out.extend_from_slice(&ix.accounts);
            compact_u16(&mut out, ix.data.len());
            out.extend_from_slice(&ix.data);
        }
        compact_u16(&mut out, 0);
        out
    }

    /// Parses a v0 message; every index must be in range.
    ///
    /// # Errors
    /// [`Error::InvalidTransaction`] for anything malformed or not v0.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader { bytes, at: 0 };
        if r.byte()? != 0x80 {
            return Err(malformed("not a v0 message"));
        }
        let (num_required_signatures, num_readonly_signed, num_readonly_unsigned) =
            (r.byte()?, r.byte()?, r.byte()?);
        let key_count = r.compact()?;
        let account_keys = (0..key_count)
            .map(|_| r.array::<32>().map(Pubkey))
            .collect::<Result<Vec<_>>>()?;
        let recent_blockhash = r.array::<32>()?;
        let ix_count = r.compact()?;
        let mut instructions = Vec::with_capacity(ix_count.min(64));
        for _ in 0..ix_count {
            let program_id_index = r.byte()?;
            let n = r.compact()?;
            let accounts = r.take(n)?.to_vec();
            let n = r.compact()?;
            let data = r.take(n)?.to_vec();
            instructions.push(CompiledInstruction {
                program_id_index,
                accounts,
                data,
            });
        }
        let lookup_count = r.compact()?;
        if r.at != bytes.len() && lookup_count == 0 {
            return Err(malformed("trailing bytes after the message"));
        }
        let keys = account_keys.len();
        let in_range = |i: &u8| usize::from(*i) < keys;
        // As the runtime sanitises a message: a writable, signing fee payer (account 0),
        // and no account listed twice.
        let distinct = account_keys
            .iter()
            .enumerate()
            .all(|(i, k)| !account_keys.iter().take(i).any(|other| other == k));
        let sane = usize::from(num_required_signatures) <= keys
            && num_readonly_signed < num_required_signatures
            && distinct
            && usize::from(num_readonly_unsigned) <= keys - usize::from(num_required_signatures)
            && instructions
                .iter()
                .all(|ix| in_range(&ix.program_id_index) && ix.accounts.iter().all(in_range));
        if !sane {
            return Err(malformed(
                "account indices or header counts out of range, no writable fee payer, or an account listed twice",
            ));
        }
        Ok(Message {
            num_required_signatures,
            num_readonly_signed,
            num_readonly_unsigned,
            account_keys,
            recent_blockhash,
            instructions,
            lookup_count,
        })
    }

    /// Whether the key at `index` is a signer.
    pub fn is_signer(&self, index: usize) -> bool {
        index < usize::from(self.num_required_signatures)
    }

    /// Whether the key at `index` is writable.
    pub fn is_writable(&self, index: usize) -> bool {
        let signed = usize::from(self.num_required_signatures);
        if index < signed {
            index < signed - usize::from(self.num_readonly_signed)
        } else {
            index < self.account_keys.len() - usize::from(self.num_readonly_unsigned)
        }
    }
}

/// A wire transaction: signatures then the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// One per required signer, in key order; zeros where not yet signed.
    pub signatures: Vec<[u8; 64]>,
    /// The message bytes (what is signed).
    pub message: Vec<u8>,
}

impl Transaction {
    /// The wire bytes.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 64 * self.signatures.len() + self.message.len());
        compact_u16(&mut out, self.signatures.len());
        for s in &self.signatures {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&self.message);
        out
    }

    /// Parses wire bytes (at most 1232 bytes, a packet).
    ///
    /// # Errors
    /// [`Error::InvalidTransaction`].
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > PACKET_LEN {
            return Err(malformed("larger than a packet (1232 bytes)"));
        }
        let mut r = Reader { bytes, at: 0 };
        let n = r.compact()?;
        let signatures = (0..n)
            .map(|_| r.array::<64>())
            .collect::<Result<Vec<_>>>()?;
        Ok(Transaction {
            signatures,
            message: r.take(bytes.len() - r.at)?.to_vec(),
        })
    }
}

/// Appends `len` as a compact-u16.
fn compact_u16(out: &mut Vec<u8>, len: usize) {
    let mut value = len;
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.at.checked_add(n).ok_or(malformed("length overflow"))?;
        let slice = self.bytes.get(self.at..end).ok_or(malformed("truncated"))?;
        self.at = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8> {
        self.take(1)?.first().copied().ok_or(malformed("truncated"))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn compact(&mut self) -> Result<usize> {
        let mut value = 0usize;
        for shift in [0, 7, 14] {
            let byte = self.byte()?;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                // As Solana's own decoder: no zero continuation byte (one spelling per value).
                if shift > 0 && byte == 0 {
                    return Err(malformed("compact-u16 not in its shortest form"));
                }
                return if value > 0xffff {
                    Err(malformed("compact-u16 too large"))
                } else {
                    Ok(value)
                };
            }
        }
        Err(malformed("compact-u16 longer than 3 bytes"))
    }
}
