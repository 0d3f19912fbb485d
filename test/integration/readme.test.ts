// The README's first command must stay true: make the default busybox
// bundle (no arguments, as the README calls it) and run it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Env, REPO } from './helpers.ts';

const env = new Env('readme');
after(() => assert.deepEqual(env.cleanup(), []));

test('scripts/make-bundle.sh with no arguments, then skiff run prints from inside', () => {
  const bundle = execFileSync(join(REPO, 'scripts/make-bundle.sh'), { encoding: 'utf8' }).trim();
  assert.equal(bundle, join(REPO, 'build/bundle'));
  assert.ok(existsSync(join(bundle, 'config.json')));
  const id = env.id();
  const r = env.skiff(['run', '--bundle', bundle, id]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^hello from inside a skiff container: \S+, pid 1, uid 0\n$/);
});
