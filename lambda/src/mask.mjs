// Login ids in log lines, masked: enough to tell an email from a username or a phone and to see
// the domain, never the whole id. The request's line still carries the user's id on success.

/** A masked domain keeps at most this many characters (a long one is no help to an operator). */
export const MAX_MASKED_DOMAIN = 64;
/** A phone number: an optional +, then digits (6 to 20 of them) with spaces, dots, dashes or brackets. */
const PHONE = /^\+?[\d\s().-]{6,30}$/;

/** The first character, whole even when it is outside the Basic Multilingual Plane. */
const first = (text) => String.fromCodePoint(text.codePointAt(0));

/**
 * The login id as a log line shows it: `jane@example.com` → `j***@example.com`,
 * `+14325551212` → `+***12`, `alice` → `a***`; one character → `***`. The mask has a fixed
 * length, so it does not tell how long the hidden part is.
 */
export function maskLoginId(loginId) {
  const text = String(loginId ?? "").trim();
  if (text === "") return "***";
  const at = text.lastIndexOf("@");
  if (at > 0 && at < text.length - 1) {
    return `${first(text)}***@${text.slice(at + 1, at + 1 + MAX_MASKED_DOMAIN)}`;
  }
  const digits = text.replace(/\D/g, "");
  if (PHONE.test(text) && digits.length >= 6 && digits.length <= 20) {
    return `${text.startsWith("+") ? "+" : ""}***${digits.slice(-2)}`;
  }
  return [...text].length <= 1 ? "***" : `${first(text)}***`;
}
