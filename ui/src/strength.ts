// How strong a new passphrase looks, computed here as the person types (nothing crosses to Rust per key).
// The same rule as `tessera_vault::keys::passphrase_strength`; Rust still refuses passphrases under 10 characters.

export type Strength = 0 | 1 | 2 | 3 | 4;

/** The shortest passphrase the vault accepts. */
export const MIN_PASSPHRASE_CHARS = 10;

export function passphraseStrength(passphrase: string): Strength {
  const chars = [...passphrase].length;
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /[0-9]/, /[^\p{L}\p{N}]/u].filter((r) => r.test(passphrase)).length;
  const words = passphrase.split(/\s+/).filter((w) => [...w].length >= 3).length;
  if (chars < MIN_PASSPHRASE_CHARS) return 0;
  if (words >= 4 && chars >= 20) return 4;
  if (chars >= 20 && classes >= 2) return 4;
  if ((chars >= 14 && classes >= 2) || chars >= 16) return 3;
  if (chars >= 12) return 2;
  return 1;
}
