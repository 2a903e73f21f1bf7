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

/**
 * Signs a token for `claims` (HS256), valid for `expiresIn` (default 12h; a number is seconds), with the policy's
 * issuer (default "revgraph") and audience (none by default).
 */
export async function signToken(
  claims: ViewerClaims,
  secret: string,
  expiresIn: string | number = "12h",
  policy: Pick<TokenPolicy, "issuer" | "audience"> = {},
): Promise<string> {
  const parsed = claimsSchema.parse(claims);
  if (parsed.role === "rep" && !parsed.repId) throw new Error("a rep token needs repId");
  if (parsed.role === "manager" && !parsed.teamId) throw new Error("a manager token needs teamId");
  const token = new SignJWT({
    role: parsed.role,
    ...(parsed.repId ? { repId: parsed.repId } : {}),
    ...(parsed.teamId ? { teamId: parsed.teamId } : {}),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(parsed.sub)
    .setIssuer(policy.issuer ?? ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (policy.audience) token.setAudience(policy.audience);
  return token.sign(key(secret));
}

/** What a bearer token must satisfy besides its signature. */
export interface TokenPolicy {
  /** Longest accepted lifetime, `exp` minus `iat` (or minus now without `iat`), in seconds (default 24 hours). */
  readonly maxLifetimeSeconds?: number;
  /** Required `iss` (default "revgraph", what {@link signToken} writes). */
  readonly issuer?: string;
  /** Required `aud`, when set. */
  readonly audience?: string;
}

const defaultMaxLifetimeSeconds = 24 * 60 * 60;

function instant(seconds: unknown): string {
  return typeof seconds === "number" && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : String(seconds);
}

/** One sentence for what jose found wrong with a token. */
function joseProblem(error: unknown, policy: TokenPolicy): string {
  const { code, claim, payload } = (error ?? {}) as { code?: string; claim?: string; payload?: Record<string, unknown> };
  if (code === "ERR_JWT_EXPIRED") return `it expired at ${instant(payload?.exp)}`;
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    if (claim === "exp") return "it has no expiry (exp), which is required";
    if (claim === "nbf") return `it is not valid before ${instant(payload?.nbf)}`;
    if (claim === "iss") return `its issuer (iss) is not ${JSON.stringify(policy.issuer ?? ISSUER)}`;
    if (claim === "aud") return `its audience (aud) is not ${JSON.stringify(policy.audience)}`;
    if (claim === "iat") return "its issue time (iat) is in the future or not a number";
    return `its ${claim ?? "claims"} claim is not acceptable`;
  }
  if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") return "its signature does not match";
  if (code === "ERR_JOSE_ALG_NOT_ALLOWED") return "it is not signed with HS256";
  return "it is not a well-formed signed JWT";
}

/** One sentence for claims that are signed but not usable. */
function claimsProblem(payload: Record<string, unknown>): string | undefined {
  if (typeof payload.sub !== "string" || payload.sub.length === 0) return "it has no subject (sub)";
  if (!roles.includes(payload.role as Role)) return `its role ${JSON.stringify(payload.role)} is not one of ${roles.join(", ")}`;
  if (payload.repId !== undefined && (typeof payload.repId !== "string" || payload.repId.length === 0))
    return "its repId is not a non-empty string";
  if (payload.teamId !== undefined && (typeof payload.teamId !== "string" || payload.teamId.length === 0))
    return "its teamId is not a non-empty string";
  if (payload.role === "rep" && payload.repId === undefined) return "a rep token needs a repId";
  if (payload.role === "manager" && payload.teamId === undefined) return "a manager token needs a teamId";
  return undefined;
}

/**
 * Verifies a bearer token and returns its claims; throws {@link AuthenticationError} saying in one sentence why not.
 * `exp` is required and the lifetime bounded by the policy; `nbf`, `iss` and `aud` are checked (aud when configured).
 */
export async function verifyToken(token: string, secret: string, policy: TokenPolicy = {}): Promise<ViewerClaims> {
  const fail = (problem: string) => new AuthenticationError(`invalid bearer token: ${problem}`);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key(secret), {
      issuer: policy.issuer ?? ISSUER,
      ...(policy.audience ? { audience: policy.audience } : {}),
      algorithms: ["HS256"],
      requiredClaims: ["exp"],
    }));
  } catch (error) {
    throw fail(joseProblem(error, policy));
  }
  const maxLifetime = policy.maxLifetimeSeconds ?? defaultMaxLifetimeSeconds;
  const start = typeof payload.iat === "number" ? payload.iat : Date.now() / 1000;
  const lifetime = (payload.exp as number) - start;
  if (lifetime > maxLifetime)
    throw fail(`it is valid for ${Math.round(lifetime)} seconds, longer than the maximum of ${maxLifetime} seconds`);
  const problem = claimsProblem(payload);
  if (problem) throw fail(problem);
  const claims = claimsSchema.parse(payload);
  return {
    sub: claims.sub,
    role: claims.role,
    ...(claims.repId ? { repId: claims.repId } : {}),
    ...(claims.teamId ? { teamId: claims.teamId } : {}),
  };
}
