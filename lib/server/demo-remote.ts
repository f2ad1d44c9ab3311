import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '../git/run';
import { DEMO_REPOSITORY } from '../config/config';

/**
 * The embedded demo: a local bare "remote" with a `.countersign/` policy and a few realistic
 * commits (several files, a rename, a binary file, a very long line), so a fresh clone of
 * Countersign has something to review on first start. Created once; never touched again.
 */

const MAINTAINER = { name: 'Mira Maintainer', email: 'mira@demo.countersign.dev' };
const AUTHOR = { name: 'Ada Author', email: 'ada@demo.countersign.dev' };

export function demoPolicy(opts: { rpId: string; origins: string[] }): string {
  return (
    JSON.stringify({ repository: DEMO_REPOSITORY, threshold: 2, rpIds: [opts.rpId], origins: opts.origins }, null, 2) + '\n'
  );
}

export const DEMO_ALLOWED_SIGNERS = `# Trusted signers for the demo repository, in OpenSSH allowed_signers format.
# Enroll a passkey in Countersign, copy its allowed_signers line from the app, add it below
# and push to main: from then on your approvals count toward the threshold for changes that have
# not landed yet (a commit already on main is judged by the policy from before it), such as the
# branch farewell: open /r/demo/farewell?base=main
`;

/** The demo's open change: two commits on a branch off main. */
export const DEMO_TOPIC = 'farewell';

interface Step {
  message: string;
  who: typeof AUTHOR;
  write?: Record<string, string | Buffer>;
  move?: [string, string][];
  date: string;
}

function pngBytes(): Buffer {
  // A real 1×1 PNG, so the diff shows a binary file.
  return Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
}

function steps(policy: string): Step[] {
  const longLine =
    'export const SUPPORTED_LOCALES = [' +
    ['en-GB', 'en-US', 'de-DE', 'fr-FR', 'es-ES', 'it-IT', 'nl-NL', 'pt-BR', 'pl-PL', 'sv-SE', 'da-DK', 'fi-FI', 'nb-NO', 'cs-CZ', 'hu-HU', 'ro-RO', 'el-GR', 'tr-TR', 'ja-JP', 'ko-KR', 'zh-CN', 'zh-TW']
      .map((l) => `'${l}'`)
      .join(', ') +
    "]; // keep in sync with the translation service's list, which is also why this line is long";
  return [
    {
      message: 'Initial import: a tiny greeting service\n',
      who: MAINTAINER,
      date: '2026-01-05T09:00:00Z',
      write: {
        'README.md': '# greeter\n\nA tiny service that says hello.\n\n    npm start\n',
        'src/greet.js': "export function greet(name) {\n  return `Hello, ${name}!`;\n}\n",
        'src/server.js':
          "import http from 'node:http';\nimport { greet } from './greet.js';\n\nhttp\n  .createServer((req, res) => {\n    const name = new URL(req.url, 'http://x').searchParams.get('name') ?? 'world';\n    res.end(greet(name));\n  })\n  .listen(8080);\n",
      },
    },
    {
      message: 'Require two passkey approvals per commit\n\nAdds the Countersign policy and an (empty) list of trusted signers.\n',
      who: MAINTAINER,
      date: '2026-01-05T09:30:00Z',
      write: { '.countersign/policy.json': policy, '.countersign/allowed_signers': DEMO_ALLOWED_SIGNERS },
    },
    {
      message: 'Greet in the visitor\'s language\n\nPicks a greeting from the Accept-Language header and falls back to English.\n',
      who: AUTHOR,
      date: '2026-01-12T14:10:00Z',
      write: {
        'src/greet.js':
          "import { SUPPORTED_LOCALES } from './locales.js';\n\nconst GREETINGS = { en: 'Hello', de: 'Hallo', fr: 'Bonjour', es: 'Hola' };\n\nexport function greet(name, locale = 'en') {\n  const lang = SUPPORTED_LOCALES.includes(locale) ? locale.slice(0, 2) : 'en';\n  return `${GREETINGS[lang] ?? GREETINGS.en}, ${name}!`;\n}\n",
        'src/locales.js': longLine + '\n',
        'src/server.js':
          "import http from 'node:http';\nimport { greet } from './greet.js';\n\nhttp\n  .createServer((req, res) => {\n    const name = new URL(req.url, 'http://x').searchParams.get('name') ?? 'world';\n    const locale = (req.headers['accept-language'] ?? 'en').split(',')[0];\n    res.setHeader('content-type', 'text/plain; charset=utf-8');\n    res.end(greet(name, locale));\n  })\n  .listen(Number(process.env.PORT ?? 8080));\n",
      },
    },
    {
      message: 'Move the server under src/http and add a logo\n',
      who: AUTHOR,
      date: '2026-01-19T10:45:00Z',
      move: [['src/server.js', 'src/http/server.js']],
      write: {
        'assets/logo.png': pngBytes(),
        'README.md': '# greeter\n\nA tiny service that says hello, in a few languages.\n\n    PORT=8080 node src/http/server.js\n\n![logo](assets/logo.png)\n',
      },
    },
    {
      message: 'Escape the name before greeting\n\nA name like <script> was echoed back verbatim; text/plain makes it\nharmless in browsers, but escape it anyway for the HTML page to come.\n',
      who: AUTHOR,
      date: '2026-01-26T16:20:00Z',
      write: {
        'src/escape.js':
          "const MAP = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\"': '&quot;', \"'\": '&#39;' };\n\nexport function escapeHtml(s) {\n  return String(s).replace(/[&<>\"']/g, (c) => MAP[c]);\n}\n",
        'src/greet.js':
          "import { escapeHtml } from './escape.js';\nimport { SUPPORTED_LOCALES } from './locales.js';\n\nconst GREETINGS = { en: 'Hello', de: 'Hallo', fr: 'Bonjour', es: 'Hola' };\n\nexport function greet(name, locale = 'en') {\n  const lang = SUPPORTED_LOCALES.includes(locale) ? locale.slice(0, 2) : 'en';\n  return `${GREETINGS[lang] ?? GREETINGS.en}, ${escapeHtml(name)}!`;\n}\n",
      },
    },
  ];
}

/** Creates `<dataDir>/demo-remote.git` if absent. Returns its path and whether it was created now. */
export async function ensureDemoRemote(remoteDir: string, opts: { rpId: string; origins: string[] }): Promise<{ remote: string; created: boolean }> {
  if (existsSync(path.join(remoteDir, 'HEAD'))) return { remote: remoteDir, created: false };
  const parent = path.dirname(remoteDir);
  await mkdir(parent, { recursive: true });
  const work = await mkdtemp(path.join(parent, '.demo-build-'));
  const tmpRemote = `${remoteDir}.tmp-${process.pid}`;
  try {
    const git = (args: string[], env?: Record<string, string>) => runGit(args, { cwd: work, env });
    await git(['init', '--quiet', '--initial-branch=main']);
    await git(['config', 'commit.gpgsign', 'false']);
    const commit = async (step: Step) => {
      for (const [from, to] of step.move ?? []) {
        await mkdir(path.dirname(path.join(work, to)), { recursive: true });
        await git(['mv', from, to]);
      }
      for (const [file, content] of Object.entries(step.write ?? {})) {
        await mkdir(path.dirname(path.join(work, file)), { recursive: true });
        await writeFile(path.join(work, file), content);
      }
      await git(['add', '--all']);
      await git(['commit', '--quiet', '-m', step.message], {
        GIT_AUTHOR_NAME: step.who.name,
        GIT_AUTHOR_EMAIL: step.who.email,
        GIT_AUTHOR_DATE: step.date,
        GIT_COMMITTER_NAME: step.who.name,
        GIT_COMMITTER_EMAIL: step.who.email,
        GIT_COMMITTER_DATE: step.date,
      });
    };
    for (const step of steps(demoPolicy(opts))) await commit(step);
    // A change that has not landed: what reviewers approve before the merge button.
    await git(['checkout', '--quiet', '-b', DEMO_TOPIC]);
    for (const step of TOPIC_STEPS) await commit(step);
    await runGit(['init', '--quiet', '--bare', '--initial-branch=main', tmpRemote], { cwd: parent });
    await git(['push', '--quiet', tmpRemote, 'main:refs/heads/main', `${DEMO_TOPIC}:refs/heads/${DEMO_TOPIC}`]);
    // Appears whole or not at all: a crash half-way leaves no half-made remote behind.
    await rename(tmpRemote, remoteDir);
    return { remote: remoteDir, created: true };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(tmpRemote, { recursive: true, force: true });
  }
}

const TOPIC_STEPS: Step[] = [
  {
    message: 'Add a farewell\n\nThe counterpart of greet(), for visitors on their way out.',
    who: AUTHOR,
    write: { 'src/farewell.js': 'export function farewell(name) {\n  return `Goodbye, ${name}!`;\n}\n' },
    date: '2026-01-27T10:00:00Z',
  },
  {
    message: 'Document the farewell',
    who: AUTHOR,
    write: { 'docs/farewell.md': '# Farewell\n\n`farewell("Ada")` returns "Goodbye, Ada!".\n' },
    date: '2026-01-27T10:30:00Z',
  },
];
