// Turns a docker USER or --chown value (`name`, `uid`, `name:group`,
// `uid:gid`) into numeric ids through an image's /etc/passwd and /etc/group,
// as runc's user lookup does. A numeric user missing from passwd runs with
// gid 0, and a name missing from passwd is an error.

export interface UserIds {
  uid: number;
  gid: number;
}

interface DatabaseEntry {
  name: string;
  id: number;
  primaryGroup?: number;
}

function parseDatabase(text: string | undefined, withPrimaryGroup: boolean): DatabaseEntry[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#')) return [];
    const id = Number(fields[2]);
    if (!Number.isInteger(id)) return [];
    const primaryGroup = withPrimaryGroup ? Number(fields[3]) : undefined;
    return [{ name: fields[0] ?? '', id, ...(primaryGroup !== undefined && Number.isInteger(primaryGroup) ? { primaryGroup } : {}) }];
  });
}

const numeric = /^\d+$/;

/** Resolves spec against the passwd and group files' text (undefined when the image has none). */
export function resolveUser(spec: string, passwd: string | undefined, group: string | undefined): UserIds {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const users = parseDatabase(passwd, true);
  const user = users.find((entry) => (numeric.test(userPart) ? entry.id === Number(userPart) : entry.name === userPart));

  let uid: number;
  let gid: number;
  if (user) {
    uid = user.id;
    gid = user.primaryGroup ?? 0;
  } else if (numeric.test(userPart)) {
    uid = Number(userPart);
    gid = 0;
  } else {
    throw new Error(`resolve user "${spec}": no user "${userPart}" in the image's /etc/passwd`);
  }

  if (groupPart !== undefined && groupPart !== '') {
    if (numeric.test(groupPart)) {
      gid = Number(groupPart);
    } else {
      const found = parseDatabase(group, false).find((entry) => entry.name === groupPart);
      if (!found) throw new Error(`resolve user "${spec}": no group "${groupPart}" in the image's /etc/group`);
      gid = found.id;
    }
  }
  return { uid, gid };
}
