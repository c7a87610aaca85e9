// Tests of .devcontainer/devcontainer.json, the course opened ready to run in Codespaces or any
// dev-container tool: it parses, uses a Node 20 image (the course's floor), installs with npm ci,
// and forwards no port (every lesson stays on the container's loopback).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT } from '../scripts/manifest.ts';

it('the dev container runs Node 20, installs with npm ci and forwards no port', () => {
  // Checks the fields a student's editor reads; JSON.parse, so the file has no comments to trip other tools.
  const config = JSON.parse(readFileSync(path.join(REPO_ROOT, '.devcontainer', 'devcontainer.json'), 'utf8')) as Record<string, unknown>;
  assert.match(String(config.image), /^mcr\.microsoft\.com\/devcontainers\/(typescript|javascript)-node:20(\b|$)/);
  assert.equal(config.postCreateCommand, 'npm ci');
  assert.deepEqual(config.forwardPorts, []);
  assert.deepEqual(config.otherPortsAttributes, { onAutoForward: 'ignore' }, 'ports a lesson opens are not forwarded either');
});
