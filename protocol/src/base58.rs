//! Base58btc (the Bitcoin alphabet), as libp2p writes peer ids. Small inputs only: quadratic.

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Longest input [`decode`] accepts, in characters. Peer ids are 52 or 53.
pub(crate) const MAX_DECODE_LEN: usize = 128;

/// Encode bytes as base58btc text.
pub(crate) fn encode(input: &[u8]) -> String {
    let zeros = input.iter().take_while(|&&b| b == 0).count();
    // Little-endian base-58 digits of the big number `input`.
    let mut digits: Vec<u8> = Vec::with_capacity(input.len() * 138 / 100 + 1);
    for &byte in &input[zeros..] {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(
        digits
            .iter()
            .rev()
            .map(|&d| char::from(ALPHABET[usize::from(d)])),
    );
    out
}

/// Why a string is not base58btc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base58Error {
    /// A character outside the alphabet, at this byte offset.
    #[error("character at offset {0} is not base58")]
    BadChar(usize),
    /// Longer than [`MAX_DECODE_LEN`].
    #[error("base58 text longer than {MAX_DECODE_LEN} characters")]
    TooLong,
}

/// Decode base58btc text.
pub(crate) fn decode(input: &str) -> Result<Vec<u8>, Base58Error> {
    if input.len() > MAX_DECODE_LEN {
        return Err(Base58Error::TooLong);
    }
    let zeros = input.bytes().take_while(|&b| b == b'1').count();
    let mut bytes: Vec<u8> = Vec::with_capacity(input.len());
    for (i, c) in input.bytes().enumerate().skip(zeros) {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or(Base58Error::BadChar(i))?;
        let mut carry = value as u32;
        for b in bytes.iter_mut() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(bytes.iter().rev());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vectors() {
        // From the base58 draft (draft-msporny-base58).
        assert_eq!(encode(b"Hello World!"), "2NEpo7TZRRrLZSi2U");
        assert_eq!(
            encode(b"The quick brown fox jumps over the lazy dog."),
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"
        );
        assert_eq!(encode(&[0, 0, 0x28, 0x7f, 0xb4, 0xcd]), "11233QC4");
        assert_eq!(
            decode("11233QC4").unwrap(),
            vec![0, 0, 0x28, 0x7f, 0xb4, 0xcd]
        );
        assert_eq!(decode("0OIl"), Err(Base58Error::BadChar(0)));
        assert_eq!(encode(&[]), "");
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..60)) {
            prop_assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        }
    }
}
