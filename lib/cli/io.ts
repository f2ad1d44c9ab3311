/**
 * What a command may touch of the outside world. main() passes the real process; tests pass
 * buffers, so a command can be driven in-process as well as through bin/countersign.mjs.
 */
export interface Output {
  write(chunk: string): unknown;
}

export interface CliIO {
  stdin: NodeJS.ReadableStream;
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

let pipeGuard = false;

export function processIO(): CliIO {
  if (!pipeGuard) {
    // `countersign verify … | head` closes our stdout early: that is the reader's choice, not a crash to report.
    pipeGuard = true;
    for (const s of [process.stdout, process.stderr]) s.on('error', () => {});
  }
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Reads a stream to its end (the message for verify-sig arrives on stdin). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
