import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CAPLAB_VERSION } from '../lib/version.ts';
import { localProvenance } from '../lib/provenance.ts';
import { buildWorkerPodTemplate } from '../lib/cluster/objects/pod.ts';
import { commonLabels, LABEL } from '../lib/cluster/labels.ts';

test('the version comes from package.json, and provenance, labels and the default image all say it', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(CAPLAB_VERSION, pkg.version);
  assert.equal(localProvenance('sequential').versions.caplab, pkg.version);
  assert.equal(commonLabels('worker')[LABEL.version], pkg.version);
  assert.equal(buildWorkerPodTemplate().spec.containers[0].image, `caplab:${pkg.version}`);
});
