// TODO: placeholder until this subcommand is implemented.
export async function run(_argv: string[]): Promise<number> {
  console.error('tinykube: this command is not implemented yet');
  return 1;
}
