import { describe, expect, it } from 'vitest';
import { splitSignedCommit } from './commit';

const head = 'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n';

describe('splitSignedCommit (what a commit signature signs, as git parse_buffer_signed_by_header)', () => {
  it('drops the signature header of the object format with its continuation lines, and returns its value', () => {
    const raw = Buffer.from(`${head}gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\nmessage\n gpgsig in the message stays\n`);
    const { payload, signature } = splitSignedCommit(raw, 'sha1');
    expect(payload.toString()).toBe(`${head}\nmessage\n gpgsig in the message stays\n`);
    expect(signature!.toString()).toBe('-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n');
  });

  it("drops another format's signature header too, and reads only its own", () => {
    const raw = Buffer.from(`${head}gpgsig-sha256 OTHER\n continued\ngpgsig OWN\n\nm\n`);
    expect(splitSignedCommit(raw, 'sha1')).toMatchObject({ payload: Buffer.from(`${head}\nm\n`), signature: Buffer.from('OWN\n') });
    expect(splitSignedCommit(raw, 'sha256')).toMatchObject({ payload: Buffer.from(`${head}\nm\n`), signature: Buffer.from('OTHER\ncontinued\n') });
  });

  it('an unsigned commit: the payload is the object, no signature', () => {
    const raw = Buffer.from(`${head}\nm\n`);
    expect(splitSignedCommit(raw, 'sha1')).toEqual({ payload: raw, signature: null });
  });
});
