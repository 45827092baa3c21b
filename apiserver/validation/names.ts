// Name rules of Kubernetes' validation package, with its exact messages:
// kubectl users search for these sentences, so they are kept verbatim.

const dns1123LabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123SubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePartPattern = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const envVarNamePattern = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ianaServiceNamePattern = /^[-a-z0-9]+$/;

export const dns1123LabelMaxLength = 63;
export const dns1123SubdomainMaxLength = 253;

const maxLengthMessage = (length: number) => `must be no more than ${length} characters`;

const dns1123LabelMessage = 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')';
const dns1123SubdomainMessage = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')';
const qualifiedNameMessage = 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')';
const labelValueMessage = 'a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')';
const envVarNameMessage = 'a valid environment variable name must consist of alphabetic characters, digits, \'_\', \'-\', or \'.\', and must not start with a digit (e.g. \'my.env-name\',  or \'MY_ENV.NAME\',  or \'MyEnvName1\', regex used for validation is \'[-._a-zA-Z][-._a-zA-Z0-9]*\')';

/** Returns the problems of a DNS-1123 label, such as a namespace or container name; empty when valid. */
export function checkDns1123Label(value: string): string[] {
  const problems: string[] = [];
  if (value.length > dns1123LabelMaxLength) problems.push(maxLengthMessage(dns1123LabelMaxLength));
  if (!dns1123LabelPattern.test(value)) problems.push(dns1123LabelMessage);
  return problems;
}

/** Returns the problems of a DNS-1123 subdomain, such as a pod or deployment name; empty when valid. */
export function checkDns1123Subdomain(value: string): string[] {
  const problems: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) problems.push(maxLengthMessage(dns1123SubdomainMaxLength));
  if (!dns1123SubdomainPattern.test(value)) problems.push(dns1123SubdomainMessage);
  return problems;
}

/** Returns the problems of a qualified name, `[prefix/]name`, as label and annotation keys are. */
export function checkQualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const problems: string[] = [];
  if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else problems.push(...checkDns1123Subdomain(prefix).map((problem) => `prefix part ${problem}`));
  } else if (parts.length > 2) {
    return ['a qualified name must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\') with an optional DNS subdomain prefix and \'/\' (e.g. \'example.com/MyName\')'];
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (name.length > 0 && !qualifiedNamePartPattern.test(name)) problems.push(qualifiedNameMessage);
  return problems;
}

export function checkLabelValue(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push(maxLengthMessage(63));
  if (!labelValuePattern.test(value)) problems.push(labelValueMessage);
  return problems;
}

export function checkEnvVarName(value: string): string[] {
  return envVarNamePattern.test(value) ? [] : [envVarNameMessage];
}

/** Returns the problems of a port name, an IANA service name of at most 15 characters. */
export function checkPortName(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 15) problems.push(maxLengthMessage(15));
  if (!ianaServiceNamePattern.test(value)) problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (value.includes('--')) problems.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) problems.push('must contain at least one letter (a-z)');
  if (value.startsWith('-') || value.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}
