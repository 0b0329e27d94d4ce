//! The server's side of SRP-6a as Amazon Cognito runs it for `USER_SRP_AUTH`
//! (the flow `aws-amplify`'s `signIn` uses by default), following the client
//! in `@aws-amplify/auth` (`providers/cognito/utils/srp`):
//!
//! - the 3072-bit group of RFC 3526 with `g = 2`, SHA-256, and
//!   `k = H(pad(N) | pad(g))`;
//! - `x = H(pad(salt) | H(poolName | username | ":" | password))`, where
//!   `poolName` is the part of the pool id after `_`, and `v = g^x mod N`
//!   is what the pool keeps instead of the password;
//! - `B = k·v + g^b`, `u = H(pad(A) | pad(B))`, `S = (A · v^u)^b mod N`;
//! - the key is the first 16 bytes of HKDF-SHA256 (salt `pad(u)`, input
//!   `pad(S)`, info `"Caldera Derived Key"`), and the client's claim is
//!   `HMAC-SHA256(key, poolName | username | secretBlock | timestamp)`.
//!
//! `pad` is the hex of a number as Java's `BigInteger.toByteArray` writes it:
//! even length, and a `00` byte first when the top bit is set.

use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

/// RFC 3526's 3072-bit MODP group prime, as Cognito uses it.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// The group's numbers, computed once.
pub struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

/// A number's bytes as `pad` writes them (see the module's notes).
fn padded(n: &BigUint) -> Vec<u8> {
    let mut bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Parse a hex number as the client sends it (`SRP_A`, `SALT`).
pub fn from_hex(text: &str) -> Option<BigUint> {
    if text.is_empty() || text.len() > 2048 {
        return None;
    }
    BigUint::parse_bytes(text.as_bytes(), 16)
}

pub fn to_hex(n: &BigUint) -> String {
    n.to_str_radix(16)
}

impl Default for Group {
    fn default() -> Self {
        Self::new()
    }
}

impl Group {
    pub fn new() -> Group {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("the group's prime");
        let g = BigUint::from(2u8);
        let k = BigUint::from_bytes_be(&sha256(&[&padded(&n), &padded(&g)]));
        Group { n, g, k }
    }

    /// `x` for a user: `H(pad(salt) | H(poolName | username | ":" | password))`.
    fn x(&self, pool_name: &str, username: &str, password: &str, salt: &BigUint) -> BigUint {
        let inner = sha256(&[
            pool_name.as_bytes(),
            username.as_bytes(),
            b":",
            password.as_bytes(),
        ]);
        BigUint::from_bytes_be(&sha256(&[&padded(salt), &inner]))
    }

    /// The verifier `v = g^x mod N` the pool keeps for a password.
    pub fn verifier(
        &self,
        pool_name: &str,
        username: &str,
        password: &str,
        salt: &BigUint,
    ) -> BigUint {
        self.g
            .modpow(&self.x(pool_name, username, password, salt), &self.n)
    }

    /// The server's public value `B = (k·v + g^b) mod N` for secret `b`.
    pub fn server_public(&self, verifier: &BigUint, b: &BigUint) -> BigUint {
        (&self.k * verifier + self.g.modpow(b, &self.n)) % &self.n
    }

    /// Whether `A` is acceptable (`A mod N ≠ 0`, RFC 5054 §2.5.4).
    pub fn valid_client_public(&self, a: &BigUint) -> bool {
        a % &self.n != BigUint::ZERO
    }

    /// The 16-byte key both sides derive: from `A`, `B`, the verifier and `b`.
    pub fn session_key(
        &self,
        client_public: &BigUint,
        server_public: &BigUint,
        verifier: &BigUint,
        b: &BigUint,
    ) -> Option<[u8; 16]> {
        let u = BigUint::from_bytes_be(&sha256(&[&padded(client_public), &padded(server_public)]));
        if u == BigUint::ZERO {
            return None;
        }
        let s = (client_public * verifier.modpow(&u, &self.n)).modpow(b, &self.n);
        let prk = hmac(&padded(&u), &[&padded(&s)]);
        let okm = hmac(&prk, &[b"Caldera Derived Key", &[1]]);
        let mut key = [0u8; 16];
        key.copy_from_slice(&okm[..16]);
        Some(key)
    }

    /// The claim a client that knows the password sends (`PASSWORD_CLAIM_SIGNATURE`, raw).
    pub fn claim(
        key: &[u8; 16],
        pool_name: &str,
        username: &str,
        secret_block: &[u8],
        timestamp: &str,
    ) -> [u8; 32] {
        hmac(
            key,
            &[
                pool_name.as_bytes(),
                username.as_bytes(),
                secret_block,
                timestamp.as_bytes(),
            ],
        )
    }

    /// The client's side, for tests and for checking a password without SRP
    /// (`USER_PASSWORD_AUTH`): `(A, key)` for secret `a`.
    /// The client's public value `A = g^a mod N` (tests play the client).
    #[cfg(test)]
    pub(crate) fn client_public(&self, a: &BigUint) -> BigUint {
        self.g.modpow(a, &self.n)
    }

    #[cfg(test)]
    pub(crate) fn client_key(
        &self,
        a: &BigUint,
        server_public: &BigUint,
        pool_name: &str,
        username: &str,
        password: &str,
        salt: &BigUint,
    ) -> (BigUint, [u8; 16]) {
        let big_a = self.g.modpow(a, &self.n);
        let u = BigUint::from_bytes_be(&sha256(&[&padded(&big_a), &padded(server_public)]));
        let x = self.x(pool_name, username, password, salt);
        let gx = self.g.modpow(&x, &self.n);
        let base = (server_public + &self.n * &self.k - (&self.k * gx) % &self.n) % &self.n;
        let s = base.modpow(&(a + &u * &x), &self.n);
        let prk = hmac(&padded(&u), &[&padded(&s)]);
        let okm = hmac(&prk, &[b"Caldera Derived Key", &[1]]);
        let mut key = [0u8; 16];
        key.copy_from_slice(&okm[..16]);
        (big_a, key)
    }
}

/// A random number of `bytes` bytes.
pub fn random(bytes: usize) -> BigUint {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    BigUint::from_bytes_be(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_is_javas_two_complement_hex() {
        assert_eq!(padded(&BigUint::from(20u8)), vec![0x14]);
        assert_eq!(padded(&BigUint::from(236u8)), vec![0x00, 0xec]);
        assert_eq!(padded(&BigUint::from(0x80u8)), vec![0x00, 0x80]);
    }

    /// The client's computation (as `@aws-amplify/auth` does it) and the
    /// server's meet on the same key for the right password only.
    #[test]
    fn client_and_server_derive_the_same_key() {
        let group = Group::new();
        let salt = random(16);
        let v = group.verifier("hoistsbx", "ada-id", "Secret-123", &salt);
        let b = random(32);
        let big_b = group.server_public(&v, &b);
        let a = random(128);
        let (big_a, client) =
            group.client_key(&a, &big_b, "hoistsbx", "ada-id", "Secret-123", &salt);
        assert!(group.valid_client_public(&big_a));
        let server = group.session_key(&big_a, &big_b, &v, &b).unwrap();
        assert_eq!(client, server);
        let (big_a, wrong) =
            group.client_key(&a, &big_b, "hoistsbx", "ada-id", "secret-123", &salt);
        assert_ne!(wrong, group.session_key(&big_a, &big_b, &v, &b).unwrap());
        assert!(!group.valid_client_public(&group.n.clone()));
    }
}
