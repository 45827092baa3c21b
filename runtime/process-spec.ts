// The container's process, from the pod spec over the image config by
// Kubernetes' rules. `command` replaces ENTRYPOINT and drops CMD, and `args`
// replaces CMD. Env entries override the image's by name. The user comes from
// runAsUser and runAsGroup, else from the image's USER, whose names resolve
// through the image's /etc/passwd and /etc/group.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ContainerConfig } from './cri.js';
import type { ResolvedImage } from './image-resolver.js';

export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  /** Supplementary groups from the image's /etc/group. */
  groups: number[];
}

export function resolveArgs(config: ContainerConfig, image: ResolvedImage): string[] {
  const entrypoint = image.config.Entrypoint ?? [];
  const cmd = image.config.Cmd ?? [];
  if (config.command && config.command.length > 0) return [...config.command, ...(config.args ?? [])];
  if (config.args && config.args.length > 0) return [...entrypoint, ...config.args];
  return [...entrypoint, ...cmd];
}

function mergeEnv(imageEnv: string[], overrides: { name: string; value: string }[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of imageEnv) {
    const separator = entry.indexOf('=');
    if (separator > 0) env.set(entry.slice(0, separator), entry.slice(separator + 1));
  }
  for (const { name, value } of overrides) env.set(name, value);
  return env;
}

/** Reads a file of the image, from the top layer down; a whiteout in a higher layer is not honoured. */
async function readImageFile(image: ResolvedImage, path: string): Promise<string | undefined> {
  for (const layer of [...image.layerDirs].reverse()) {
    try {
      return await readFile(join(layer, path), 'utf8');
    } catch {
      // Not in this layer: look in the one below.
    }
  }
  return undefined;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '').split('\n').filter((line) => line && !line.startsWith('#')).map((line) => {
    const [name, , uid, gid, , home] = line.split(':');
    return { name, uid: Number(uid), gid: Number(gid), home: home || '/' };
  });
}

function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '').split('\n').filter((line) => line && !line.startsWith('#')).map((line) => {
    const [name, , gid, members = ''] = line.split(':');
    return { name, gid: Number(gid), members: members.split(',').filter(Boolean) };
  });
}

const isNumeric = (value: string) => /^\d+$/.test(value);

/** Resolves the image's USER (`name`, `uid`, `name:group` or `uid:gid`) and the security context's ids. */
async function resolveUser(config: ContainerConfig, image: ResolvedImage): Promise<{ uid: number; gid: number; groups: number[]; home: string }> {
  const [passwdText, groupText] = await Promise.all([readImageFile(image, 'etc/passwd'), readImageFile(image, 'etc/group')]);
  const passwd = parsePasswd(passwdText);
  const groupFile = parseGroup(groupText);
  const [userPart = '', groupPart] = (image.config.User ?? '').split(':');

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (config.runAsUser !== undefined) {
    uid = config.runAsUser;
    entry = passwd.find((candidate) => candidate.uid === uid);
  } else if (userPart === '') {
    uid = 0;
    entry = passwd.find((candidate) => candidate.uid === 0);
  } else if (isNumeric(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((candidate) => candidate.uid === uid);
  } else {
    entry = passwd.find((candidate) => candidate.name === userPart);
    if (!entry) throw new Error(`unable to find user ${userPart}: no matching entries in the image's /etc/passwd`);
    uid = entry.uid;
  }

  let gid = entry?.gid ?? 0;
  if (config.runAsGroup !== undefined) gid = config.runAsGroup;
  else if (groupPart !== undefined && isNumeric(groupPart)) gid = Number(groupPart);
  else if (groupPart !== undefined) {
    const group = groupFile.find((candidate) => candidate.name === groupPart);
    if (!group) throw new Error(`unable to find group ${groupPart}: no matching entries in the image's /etc/group`);
    gid = group.gid;
  }

  const name = entry?.name;
  const groups = name === undefined ? [] : groupFile.filter((group) => group.members.includes(name) && group.gid !== gid).map((group) => group.gid);
  return { uid, gid, groups, home: entry?.home ?? '/' };
}

export async function resolveProcessSpec(config: ContainerConfig, image: ResolvedImage, hostname: string): Promise<ProcessSpec> {
  const args = resolveArgs(config, image);
  if (args.length === 0) throw new Error(`container ${config.name}: no command specified, and image ${image.reference} has no ENTRYPOINT or CMD`);
  const user = await resolveUser(config, image);

  const env = mergeEnv(image.config.Env ?? [], config.env ?? []);
  if (!env.has('PATH')) env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  if (!env.has('HOSTNAME')) env.set('HOSTNAME', hostname);
  if (!env.has('HOME')) env.set('HOME', user.home);
  if (config.tty && !env.has('TERM')) env.set('TERM', 'xterm');

  return {
    args,
    env: [...env].map(([name, value]) => `${name}=${value}`),
    cwd: config.workingDir || image.config.WorkingDir || '/',
    uid: user.uid,
    gid: user.gid,
    groups: user.groups,
  };
}
