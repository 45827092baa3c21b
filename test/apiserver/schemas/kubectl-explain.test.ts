import test from 'ava';
import { registerKubectlFixture } from '../../helpers/kubectl.js';

const { kubectl } = registerKubectlFixture(test);

const kinds: [string, string, string][] = [
  ['pods', 'Pod', 'v1'],
  ['nodes', 'Node', 'v1'],
  ['namespaces', 'Namespace', 'v1'],
  ['events', 'Event', 'v1'],
  ['replicasets', 'ReplicaSet', 'apps/v1'],
  ['deployments', 'Deployment', 'apps/v1'],
  ['leases', 'Lease', 'coordination.k8s.io/v1'],
];

for (const [resource, kind, apiVersion] of kinds) {
  test.serial(`explain ${resource}`, async (t) => {
    const result = await kubectl(['explain', resource]);
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, new RegExp(`KIND:\\s+${kind}\\n`));
    t.regex(result.stdout, new RegExp(`VERSION:\\s+${apiVersion.split('/').pop() ?? ''}\\n`));
    t.regex(result.stdout, /metadata\t<ObjectMeta>/);
  });
}

test.serial('explain pod.spec.containers', async (t) => {
  const result = await kubectl(['explain', 'pod.spec.containers']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /FIELD: containers <\[\]Container>/);
  t.regex(result.stdout, /name\t<string> -required-/);
  t.regex(result.stdout, /image\t<string>/);
  t.regex(result.stdout, /env\t<\[\]EnvVar>/);
  t.regex(result.stdout, /imagePullPolicy\t<string>\n\s+enum: Always, IfNotPresent, Never/);
});

test.serial('explain a nested deployment field', async (t) => {
  const result = await kubectl(['explain', 'deployment.spec.strategy.rollingUpdate.maxSurge']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /GROUP:\s+apps/);
  t.regex(result.stdout, /FIELD: maxSurge <IntOrString>/);
  t.regex(result.stdout, /Defaults to 25%/);
});

test.serial('explain shows quantities by name', async (t) => {
  const result = await kubectl(['explain', 'pod.spec.containers.resources']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /limits\t<map\[string\]Quantity>/);
  t.regex(result.stdout, /requests\t<map\[string\]Quantity>/);
});

test.serial('explain --recursive walks the whole schema', async (t) => {
  const result = await kubectl(['explain', 'pod.spec', '--recursive']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /tolerations\t<\[\]Toleration>/);
  t.regex(result.stdout, /tolerationSeconds\t<integer>/);
});

test.serial('explain of an unknown field fails', async (t) => {
  const result = await kubectl(['explain', 'pod.spec.nonsense']);
  t.not(result.code, 0);
  t.regex(result.stderr, /field "nonsense" does not exist/);
});
