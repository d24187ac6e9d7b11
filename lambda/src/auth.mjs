// The shared-secret check on the Authorization header FusionAuth sends.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (text) => createHash("sha256").update(text, "utf8").digest();

/**
 * Whether the header value equals the expected secret, in constant time: both sides are
 * hashed first so timingSafeEqual always compares 32 bytes, whatever their lengths.
 */
export function isAuthorized(headerValue, expected) {
  if (typeof headerValue !== "string" || typeof expected !== "string" || expected === "") return false;
  return timingSafeEqual(digest(headerValue), digest(expected));
}
