/**
 * Shapes 32+ hex digits (e.g. a SHA-256 digest of a source row) as a version-4-style UUID, so ids derived
 * deterministically from content pass the envelope's UUID check. Same input, same id.
 */
export function uuidFromHex(hex: string): string {
  if (!/^[0-9a-f]{32,}$/i.test(hex)) throw new TypeError("uuidFromHex needs at least 32 hex digits");
  const variant = "89ab"[Number.parseInt(hex[16] as string, 16) % 4] as string;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toLowerCase();
}
