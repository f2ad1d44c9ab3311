export { sshKeyFromCose, parseCoseEs256 } from './cose-key';
export { allowedSignersLine } from './allowed-signers-line';
export { packageAssertion, type AssertionParts } from './package-assertion';
