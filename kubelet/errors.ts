// The message of a caught value, which is an Error in practice but typed unknown.

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
