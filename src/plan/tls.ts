import type { TlsIssue } from './ops.js';

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
