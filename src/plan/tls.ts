import type { TlsIssue } from './ops.js';

/**
 * Where a TLS secret's certificate and key live, and the lab's one CA that
 * signs them all (Ingresses' and Gateways'; `http:` tests verify against it).
 * An Ingress's secret is a plain name; a Gateway's is under `gateway/NS/NAME`,
 * which no Ingress secret name can be.
 */
export function tlsFiles(stateDir: string, secret: string): { key: string; crt: string } {
  return { key: `${stateDir}/ingress/tls/${secret}.key`, crt: `${stateDir}/ingress/tls/${secret}.crt` };
}
export function caFiles(stateDir: string): { key: string; crt: string } {
  return { key: `${stateDir}/ingress/tls/ca.key`, crt: `${stateDir}/ingress/tls/ca.crt` };
}

/** A Gateway listener's certificate (its TlsSecret `NAMESPACE/NAME`). */
export function gatewaySecretFiles(stateDir: string, key: string): { key: string; crt: string } {
  return tlsFiles(stateDir, `gateway/${key}`);
}

/** Days a lab's certificates are valid: longer than any lab runs, short enough to be plainly a lab's. */
const DAYS = '30';
const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * The openssl commands of a tls.issue, as argument arrays (the shell script
 * and the kernel run the same): the lab's CA, self-signed, when it is not
 * there yet; then the certificate, signed by it (`req -x509 -CA`, OpenSSL 3),
 * for the hosts as DNS subjectAltNames. Hosts are names the schema allows
 * (letters, digits, '.', '-', a leading '*.'): nothing in them is a separator.
 */
export function tlsCommands(op: TlsIssue): { ca: string[]; leaf: string[] } {
  return {
    ca: [
      'openssl',
      'req',
      '-x509',
      ...CURVE,
      '-keyout',
      op.ca.key,
      '-out',
      op.ca.crt,
      '-days',
      DAYS,
      '-subj',
      `/CN=${op.ca.name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    leaf: [
      'openssl',
      'req',
      '-x509',
      '-CA',
      op.ca.crt,
      '-CAkey',
      op.ca.key,
      ...CURVE,
      '-keyout',
      op.key,
      '-out',
      op.crt,
      '-days',
      DAYS,
      '-subj',
      `/CN=${op.commonName}`,
      '-addext',
      `subjectAltName=${op.hosts.map((h) => `DNS:${h}`).join(',')}`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ],
  };
}
