// kubectl reads /openapi/v2 only as protobuf, and discovery as aggregated
// apidiscovery.k8s.io/v2 documents when the server offers them. These tests
// run the real kubectl, with a fresh discovery cache, against the test
// apiserver's own routes.

import test from 'ava';
import { registerKubectlFixture } from '../../helpers/kubectl.js';

const { kubectl } = registerKubectlFixture(test);

test.serial('explain reads the protobuf Swagger 2.0 document', async (t) => {
  const result = await kubectl(['explain', 'deployment.spec', '--output=plaintext-openapiv2']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /KIND:\s+Deployment/);
  t.regex(result.stdout, /selector\t<Object> -required-/);
  t.regex(result.stdout, /replicas\t<integer>/);
});

test.serial('explain v2 follows references into nested types', async (t) => {
  const result = await kubectl(['explain', 'pod.spec.containers.ports', '--output=plaintext-openapiv2']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /containerPort\t<integer> -required-/);
});

test.serial('api-resources reads aggregated discovery', async (t) => {
  const result = await kubectl(['api-resources', '--no-headers', '-o', 'name']);
  t.is(result.code, 0, result.stderr);
  const names = result.stdout.trim().split('\n');
  t.true(names.includes('pods'));
  t.true(names.includes('deployments.apps'));
  t.true(names.includes('leases.coordination.k8s.io'));
});

test.serial('apply and get after aggregated discovery', async (t) => {
  const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'applied', labels: { team: 'a' } } });
  const applied = await kubectl(['apply', '-f', '-'], manifest);
  t.is(applied.code, 0, applied.stderr);
  const got = await kubectl(['get', 'ns', 'applied', '-o', 'jsonpath={.metadata.labels.team}']);
  t.is(got.code, 0, got.stderr);
  t.is(got.stdout, 'a');
  const explained = await kubectl(['explain', 'pods.spec.containers.image']);
  t.is(explained.code, 0, explained.stderr);
  t.regex(explained.stdout, /FIELD:\s+image/);
});
