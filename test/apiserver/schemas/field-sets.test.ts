import test from 'ava';
import { pods } from '../../../api/resources.js';
import { addedPaths, diffFields, type FieldChanges } from '../../../apiserver/patch/field-diff.js';
import { addPath, removePath } from '../../../apiserver/patch/fields-tree.js';
import { formatPath, fromFieldsV1 } from '../../../apiserver/patch/fieldset.js';
import type { JsonObject, JsonValue } from '../../../apiserver/patch/json.js';
import { rootNode, typeOfResource } from '../../../apiserver/openapi/schema/index.js';
import { newPod } from './builders.js';

const root = rootNode(typeOfResource(pods));

/** Diffs two objects, listing the fields of wholly added values path by path. */
function diff(old: unknown, current: unknown): { changed: string[]; removed: string[] } {
  const changes: FieldChanges = { changed: [], removed: [], added: [] };
  diffFields(old as JsonValue, current as JsonValue, root, [], changes);
  const changed = [...changes.changed, ...changes.added.flatMap(addedPaths)];
  return { changed: changed.map(formatPath).sort(), removed: changes.removed.map(formatPath).sort() };
}

test('removing a leaf prunes emptied parents', (t) => {
  const tree: JsonObject = { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:nodeName': {} } };
  removePath(tree, ['f:metadata', 'f:labels', 'f:app']);
  t.deepEqual(tree, { 'f:spec': { 'f:nodeName': {} } });
});

test('removing a member with children keeps the children', (t) => {
  const tree: JsonObject = { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } } };
  removePath(tree, ['f:spec', 'f:containers', 'k:{"name":"c"}']);
  t.deepEqual(tree, { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } });
});

test('removing a path that is not a member changes nothing', (t) => {
  const tree: JsonObject = { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } };
  removePath(tree, ['f:spec', 'f:containers']);
  removePath(tree, ['f:status', 'f:phase']);
  t.deepEqual(tree, { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } });
});

test('adding under a member leaf keeps its membership', (t) => {
  const tree: JsonObject = { 'f:metadata': { 'f:annotations': {} } };
  addPath(tree, ['f:metadata', 'f:annotations', 'f:note']);
  addPath(tree, ['f:spec', 'f:replicas']);
  t.deepEqual(fromFieldsV1(tree), fromFieldsV1({ 'f:metadata': { 'f:annotations': { '.': {}, 'f:note': {} } }, 'f:spec': { 'f:replicas': {} } }));
  t.deepEqual(tree['f:metadata'], { 'f:annotations': { '.': {}, 'f:note': {} } });
});

test('diff of changed and removed scalars', (t) => {
  const old = newPod();
  const current = newPod();
  current.spec.containers[0].image = 'nginx:2';
  current.metadata.labels = { tier: 'front' };
  t.deepEqual(diff(old, current), {
    changed: ['.metadata.labels.tier', '.spec.containers[name="nginx"].image'],
    removed: ['.metadata.labels.app'],
  });
});

test('diff of added and removed list items', (t) => {
  const old = newPod();
  const current = newPod();
  current.spec.containers = [{ name: 'sidecar', image: 'busybox' }];
  t.deepEqual(diff(old, current), {
    changed: ['.spec.containers[name="sidecar"]', '.spec.containers[name="sidecar"].image', '.spec.containers[name="sidecar"].name'],
    removed: [
      '.spec.containers[name="nginx"]', '.spec.containers[name="nginx"].image', '.spec.containers[name="nginx"].name',
      '.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"]',
      '.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"].containerPort',
      '.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"].protocol',
    ],
  });
});

test('diff of atomic lists and set lists', (t) => {
  const old = newPod();
  old.metadata.finalizers = ['a'];
  old.spec.containers[0].args = ['x'];
  const current = structuredClone(old);
  current.metadata.finalizers = ['a', 'b'];
  current.spec.containers[0].args = ['y'];
  t.deepEqual(diff(old, current), {
    changed: ['.metadata.finalizers[="b"]', '.spec.containers[name="nginx"].args'],
    removed: [],
  });
});

test('diff of identical objects is empty', (t) => {
  t.deepEqual(diff(newPod(), newPod()), { changed: [], removed: [] });
});

test('diff marks an emptied object as a leaf', (t) => {
  const old = newPod();
  const current = newPod();
  current.metadata.labels = {};
  t.deepEqual(diff(old, current), { changed: ['.metadata.labels'], removed: ['.metadata.labels.app'] });
});
