/**
 * Credential fixtures for the Apple action tests (never imported by an action itself). The .p12 is a stand-in: DER-shaped bytes
 * (a SEQUENCE header, then filler) that pass the action's shape check; the fake `security import` does not parse it.
 * The .p8 is a real P-256 PKCS#8 key, generated per run, as App Store Connect issues them.
 */
import { generateKeyPairSync } from 'node:crypto';

export const P12_BYTES = Buffer.concat([Buffer.from([0x30, 0x82, 0x0a, 0x1c, 0x02, 0x01, 0x03]), Buffer.alloc(300, 0x5a)]);
/** Wrapped at 76 columns, as `base64 -i certificate.p12` prints it. */
export const P12_BASE64 = P12_BYTES.toString('base64').replace(/.{76}/g, '$&\n');
export const P12_PASSWORD = 'p12-password';

export const P8_PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
export const P8_BASE64 = Buffer.from(P8_PEM).toString('base64');
export const API_KEY_ID = '2X9R4HXF34';
export const API_ISSUER = '57246542-96fe-1a63-e053-0824d011072a';
