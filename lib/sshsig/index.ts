/** The SSHSIG surface: what is signed, the container, armor, and in-process verification. */
export {
  SSHSIG_MAGIC,
  HASH_ALGS,
  DEFAULT_HASH_ALG,
  signedDataBlob,
  signedDataBlobFromHash,
  hashMessage,
  isHashAlg,
  type HashAlg,
} from './signed-data';
export { encodeSshSig, parseSshSig, armorSshSig, dearmorSshSig, ARMOR_BEGIN, ARMOR_END, type SshSig } from './format';
export {
  verifySshSig,
  verifySshSigWithKey,
  checkSshSig,
  policyFailure,
  type VerifyInput,
  type VerifyResult,
  type VerifyFailure,
  type PolicyOptions,
  type CheckResult,
} from './verify';
