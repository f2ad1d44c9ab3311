export { parseAllowedSigners, parseAllowedSignersLenient, type AllowedSigner, type AllowedSignersProblem } from './parse';
export { checkAllowedSigners, principalsForKey, type SignerCheck, type SignerFailure } from './check';
export { matchPattern, matchPatternList, principalMatches } from './match';
export { parseAbsoluteTime, formatAbsoluteTimeUtc } from './time';
export { signerIdentities, type SignerIdentities } from './identity';
