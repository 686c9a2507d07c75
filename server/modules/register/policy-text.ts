/**
 * The <instructions/> of the registration form (XEP-0077 §3.1): the host's username and password
 * policy in words, so a client shows the rules before the user meets a not-acceptable.
 */
export interface Policy { min_length: number; max_length: number; pattern: string | null }

/** Patterns common enough to say in words; any other is quoted as it is. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^[A-Za-z0-9]+$': 'letters and digits',
  '^[a-zA-Z0-9]+$': 'letters and digits',
  '^[a-z0-9]+$': 'lower-case letters and digits',
  '^[0-9]+$': 'digits',
};

/** Lengths at or beyond this are limits of the protocol, not a policy worth telling the user. */
const NO_REAL_MAXIMUM = 1023;

function lengths(p: Policy, unit: string): string {
  const hasMin = p.min_length > 1;
  const hasMax = p.max_length < NO_REAL_MAXIMUM;
  if (hasMin && hasMax) return p.min_length === p.max_length ? `exactly ${p.min_length} ${unit}` : `${p.min_length}–${p.max_length} ${unit}`;
  if (hasMin) return `at least ${p.min_length} ${unit}`;
  if (hasMax) return `at most ${p.max_length} ${unit}`;
  return `any number of ${unit}`;
}

export function describePolicy(p: Policy): string {
  if (!p.pattern) return lengths(p, 'characters');
  const words = PATTERN_WORDS[p.pattern];
  return words ? lengths(p, words) : `${lengths(p, 'characters')} matching ${p.pattern}`;
}

export function registrationInstructions(username: Policy, password: Policy): string {
  return `Choose a username and a password. Username: ${describePolicy(username)}. Password: ${describePolicy(password)}.`;
}
