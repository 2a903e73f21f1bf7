import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";

/** Who may do what: rep (own deals), manager (their team), exec (all), auditor (read all, no writes), admin. */
export const roles = ["rep", "manager", "exec", "auditor", "admin"] as const;
/** One role. */
export type Role = (typeof roles)[number];

/** The claims revgraph puts in a bearer token. */
export interface ViewerClaims {
  readonly sub: string;
  readonly role: Role;
  /** For reps: the rep id whose deals they own. */
  readonly repId?: string;
  /** For managers: the team they lead. */
  readonly teamId?: string;
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(roles),
  repId: z.string().min(1).optional(),
  teamId: z.string().min(1).optional(),
});

/** A token that could not be accepted, with the reason (shown to the client). */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
}

const ISSUER = "revgraph";

function key(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error("the JWT secret must be at least 32 characters (set REVGRAPH_JWT_SECRET)");
  return new TextEncoder().encode(secret);
}

/** Signs a token for `claims` (HS256), valid for `expiresIn` (default 12h). */
export async function signToken(claims: ViewerClaims, secret: string, expiresIn = "12h"): Promise<string> {
  const parsed = claimsSchema.parse(claims);
  if (parsed.role === "rep" && !parsed.repId) throw new Error("a rep token needs repId");
  if (parsed.role === "manager" && !parsed.teamId) throw new Error("a manager token needs teamId");
  return new SignJWT({
    role: parsed.role,
    ...(parsed.repId ? { repId: parsed.repId } : {}),
    ...(parsed.teamId ? { teamId: parsed.teamId } : {}),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(parsed.sub)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key(secret));
}

/** Verifies a bearer token and returns its claims; throws {@link AuthenticationError} saying why not. */
export async function verifyToken(token: string, secret: string): Promise<ViewerClaims> {
  try {
    const { payload } = await jwtVerify(token, key(secret), { issuer: ISSUER, algorithms: ["HS256"] });
    const claims = claimsSchema.parse(payload);
    return {
      sub: claims.sub,
      role: claims.role,
      ...(claims.repId ? { repId: claims.repId } : {}),
      ...(claims.teamId ? { teamId: claims.teamId } : {}),
    };
  } catch (error) {
    throw new AuthenticationError(`invalid bearer token: ${error instanceof Error ? error.message : String(error)}`);
  }
}
