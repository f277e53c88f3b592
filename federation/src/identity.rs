//! A node's key as its libp2p identity: the same ed25519 key, so that the PeerId text of a
//! node *is* the text form of its [`PublicKey`] (checked by the protocol crate's tests and here).

use libp2p::identity::Keypair;
use libp2p::PeerId;
use protocol::keys::{PublicKey, SecretKey};

use crate::FedError;

/// The libp2p keypair of a node key.
pub fn keypair(secret: &SecretKey) -> Result<Keypair, FedError> {
    let mut seed = secret.to_seed();
    let kp = Keypair::ed25519_from_bytes(&mut seed).map_err(|e| FedError::Identity(e.to_string()));
    seed.fill(0);
    kp
}

/// The PeerId of a key.
pub fn peer_id(key: &PublicKey) -> PeerId {
    // The 38 bytes are an identity multihash by construction: this cannot fail, but a peer id is
    // never worth a panic.
    PeerId::from_bytes(&key.peer_id_bytes()).unwrap_or_else(|_| PeerId::random())
}

/// The key of a PeerId, if it is an ed25519 one (every neurofed node's is).
pub fn public_key(peer: &PeerId) -> Option<PublicKey> {
    const PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
    let bytes = peer.to_bytes();
    let key: [u8; 32] = bytes.strip_prefix(&PREFIX[..])?.try_into().ok()?;
    PublicKey::from_bytes(key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_is_the_key_text_both_ways() {
        for n in [1u8, 9, 200] {
            let secret = SecretKey::from_seed(&[n; 32]);
            let kp = keypair(&secret).unwrap();
            let from_libp2p = kp.public().to_peer_id();
            assert_eq!(from_libp2p.to_base58(), secret.public().to_peer_id());
            assert_eq!(peer_id(&secret.public()), from_libp2p);
            assert_eq!(public_key(&from_libp2p), Some(secret.public()));
        }
        assert_eq!(
            public_key(&PeerId::random()),
            None,
            "not an ed25519 identity"
        );
    }
}
