import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';

/** A signing key with the public JWK a JWKS endpoint serves for it. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** A fresh key pair with a random hex `kid`, like Google's 40-hex-character key ids. */
export async function createSigningKey(
  alg: 'RS256' | 'ES256',
  kid = randomBytes(20).toString('hex'),
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'RS256' ? { modulusLength: 2048 } : {});
  const jwk = await exportJWK(publicKey);
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}
